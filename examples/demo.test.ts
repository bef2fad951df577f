import { describe, expect, it } from 'vitest'
import { runExample } from './lib/run-example.js'

describe('the README demo', () => {
  it('shows every step against the embedded lab and exits 0 within 30 s', async () => {
    const run = await runExample('demo.ts', [], 45_000)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(run.ms).toBeLessThan(30_000)
    const out = run.stdout
    expect(out).toMatch(/authenticated as demo@inner\.lab:22; host key SHA256:\S+ found in known_hosts/)
    expect(out).toMatch(/the bastion's log: demo opened a direct-tcpip channel to inner\.lab:22/)
    expect(out).toMatch(/stdout: this is inner, in \S+\/inner\n/)
    expect(out).toMatch(/upload +100% 16\.0 MiB \/ 16\.0 MiB/) // not a TTY: plain progress lines
    expect(out).toMatch(/download 100% 16\.0 MiB \/ 16\.0 MiB/)
    expect(out).toMatch(/16777216 bytes up and back down; SHA-256 identical/)
    expect(out).toMatch(/HTTP 200: hello from web\.lab — you asked for GET \/through-forwardLocal/)
    expect(out).toMatch(/HTTP 200: hello from web\.lab — you asked for GET \/through-openSocket/)
    expect(out).toMatch(/GatewayConflictError ERR_SSH_GATEWAY_CONFLICT/)
    expect(out).toMatch(/HostKeyError ERR_SSH_HOST_KEY, reason 'mismatch'/)
    expect(out).toMatch(/✔ demo finished: 8 steps in [\d.]+ s, everything closed/)
  })
})
