import { describe, expect, it } from 'vitest'
import { runExample } from './lib/run-example.js'

// Each example runs as its own process against the embedded lab, as a reader would run it.
const expectations: Record<string, RegExp[]> = {
  'run-and-sudo.ts': [
    /^run: \S+ \S+ \(exit code 0\)$/m,
    /^run failed: exit code [1-9]\d*, stderr: .*\/no\/such\/dir/m,
    /^run with warn: ok=false, exit code 3$/m,
    /^live: tick 1\nlive: tick 2\nlive: tick 3$/m,
    // The test host runs as root with sudo installed: the real sudo binary runs the command.
    /^sudo: ran as root/m,
  ],
  'proxyjump-from-ssh-config.ts': [
    /^ssh_config for 'inner': hostname inner\.lab, port 22, user demo, proxyjump bastion$/m,
    /^ran on: \S+ \(lab host inner\)$/m,
    /^the bastion's log: demo opened direct-tcpip to inner\.lab:22$/m,
  ],
  'proxycommand.ts': [
    /^through 'ssh -F \S+ -W %h:%p bastion': connected to \S+ \(lab host inner\)$/m,
    /^ProxyCommandError ERR_SSH_PROXY_COMMAND: exit code 7, stderr: no route to inner\.lab$/m,
  ],
  'postgres-through-bastion.ts': [
    /^connected through 127\.0\.0\.1:\d+ to db\.lab:5432$/m,
    /^server: PostgreSQL \d+/m,
    /^SELECT 6 \* 7 → 42, as lab$/m,
  ],
  'http-over-ssh.ts': [
    /^http\.get \/first: 200 hello from web\.lab — you asked for GET \/first$/m,
    /^http\.get \/second: 200 hello from web\.lab — you asked for GET \/second$/m,
    /^2 requests, 1 SSH channel \(keep-alive\)$/m,
    /^undici 200: hello from web\.lab — you asked for GET \/from-undici$/m,
  ],
  'forward-local.ts': [
    /^forwarding 127\.0\.0\.1:\d+ → web\.lab:80 /m,
    ...[1, 2, 3].map((n) => new RegExp(`^fetch: 200 hello from web\\.lab — you asked for GET /request-${n}$`, 'm')),
  ],
  'forward-remote.ts': [
    /^the server listens on 127\.0\.0\.1:\d+ → here 127\.0\.0\.1:\d+/m,
    /^curl on the server: hello from the machine that ran the example \(\/asked-by-curl-on-the-server\)$/m,
  ],
  'put-get-with-progress.ts': [
    /^ {2}put 100% 8\.0 MiB \/ 8\.0 MiB$/m,
    /^put 8388608 bytes to x-ssh-example\.bin \(permission bits kept: 640\)$/m,
    /^ {2}get 100% 8\.0 MiB \/ 8\.0 MiB$/m,
    /^get 8388608 bytes to \S+: identical \(SHA-256\)$/m,
  ],
  'step-by-step-auth.ts': [
    /^1\. startClient: host key SHA256:\S+ is in known_hosts/m,
    // @x/server offers only the first method of an auth.methods list at first, as sshd does.
    /^2\. authNone\('demo'\): the server allows publickey$/m,
    /^3\. authPublicKey\(\S+\): partial success, the server wants keyboard-interactive as well$/m,
    /^ {2}server asks \(demo's login\): Verification code: $/m,
    /^4\. authInteractive: authenticated$/m,
    /^5\. openSession \+ exec: hello demo from \S+ \(exit code 0\)$/m,
  ],
  'sftp-server.ts': [
    /^SFTP server on 127\.0\.0\.1:\d+, root \S+$/m,
    /^put report\.txt → the server's directory now holds: report\.txt$/m,
    /^realpath\('\.\.'\) is \/: the root is the top$/m,
    /^stat \/\.\.\/\.\.\/etc\/passwd: ERR_SSH_SFTP /m,
    /^sessions: exec refused \(not configured\): SSHError ERR_SSH: /m,
  ],
  'git-style-service.ts': [
    /^alice: list → site\.git, tools\.git$/m,
    /^alice: clone site\.git → exit 0: alice may clone site\.git$/m,
    /^bob: list → tools\.git$/m,
    /^bob: clone site\.git → exit 128: bob: no access to "clone site\.git"$/m,
    /^alice: a tunnel through the service → refused \(ERR_SSH_CHANNEL_OPEN\)$/m,
    /^bob: a tunnel through the service → refused \(ERR_SSH_CHANNEL_OPEN\)$/m,
  ],
  'known-hosts-policies.ts': [
    /^1\. 'strict', host not in known_hosts: HostKeyError reason 'unknown' for 127\.0\.0\.1:\d+$/m,
    /^2\. 'accept-new', host not in known_hosts: connected \(host key (SHA256:\S+)\)$/m,
    /^ {3}known_hosts now holds: \[127\.0\.0\.1\]:\d+ ssh-ed25519 /m,
    /^3\. 'strict', with the learnt entry: connected/m,
    /^4\. 'accept-new', but known_hosts has another key: HostKeyError reason 'mismatch'/m,
    /^5\. a pinned key \(fixedHostKey\): connected/m,
  ],
}

describe('every example, against the embedded lab', () => {
  for (const [file, lines] of Object.entries(expectations)) {
    it(`${file} exits 0 and prints what it shows`, async () => {
      const run = await runExample(file, [], 90_000)
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      for (const line of lines) expect(run.stdout).toMatch(line)
    }, 120_000)
  }
})
