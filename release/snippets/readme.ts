// The workspace README's example, verbatim between the region markers. release/pack.test.ts
// copies the region into a fresh project that installed the packed tarballs and runs it with
// plain `node` (so it stays JavaScript: no types, and try/finally rather than `await using`,
// which Node 20 does not parse).
// #region readme
import { Connection } from '@x/connection'

// Host name, user, port, key and known_hosts come from ssh_config, as for `ssh web1`:
// ~/.ssh/config, or the file named on the command line (like `ssh -F file web1`).
const c = new Connection('web1', { config: process.argv[2] })
try {
  const result = await c.run('uname -s')
  console.log(result.stdout.trim(), result.exitCode)
} finally {
  await c.close()
}
// #endregion readme
