// A program that wants `ssh -G` in Node and nothing else, type-checked by release/pack.test.ts
// against the installed tarballs with the same strict settings as connection-user.ts, then run
// as ESM. It imports from @x/ssh-config only and passes `undefined` wherever an option is
// optional: undefined must mean "not given".
import {
  ConfigError,
  matchHostname,
  resolveSshConfig,
  type ResolvedSshConfig,
  type ResolveSshConfigOptions,
  type SshConfigWarning,
} from '@x/ssh-config'

const [config] = process.argv.slice(2)
if (config === undefined) throw new Error('usage: ssh_config')

const warnings: SshConfigWarning[] = []
const options: ResolveSshConfigOptions = {
  config,
  user: undefined,
  port: undefined,
  allowMatchExec: undefined,
  homeDir: undefined,
  localUser: undefined,
  localHostname: undefined,
  systemConfigPath: undefined,
  onWarning: (w) => warnings.push(w),
  debug: undefined,
}
const resolved: ResolvedSshConfig = resolveSshConfig('web1', options)
const identityFiles = resolved['identityfile'] // string | readonly string[] | undefined

// What ssh refuses is a ConfigError naming the file and line.
let refused: { code: string; file: string | undefined; line: number | undefined } | undefined
try {
  resolveSshConfig('web1', { config: { text: 'Host *\n  Port 0\n', path: 'inline.conf' } })
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  refused = { code: err.code, file: err.file, line: err.line }
}

console.log(JSON.stringify({
  hostname: resolved['hostname'],
  port: resolved['port'],
  user: resolved['user'],
  identityFiles: Array.isArray(identityFiles) ? identityFiles.length : identityFiles,
  warnings: warnings.map((w) => w.keyword),
  refused,
  matched: matchHostname('WEB1.example.com', 'web*,!db*'),
}))
