// Code shown in docs/errors.md; release/snippets.test.ts feeds it real failures.
import { isSSHError, type SSHError } from '@x/connection'

/** Turns any of the library's errors into advice for an operator. */
// #region switch-on-code
export function advice(err: SSHError): string {
  switch (err.code) {
    case 'ERR_SSH_CONNECT':
      return 'nothing answers there: check the host name, port, VPN or firewall'
    case 'ERR_SSH_TIMEOUT':
      return 'no answer in time'
    case 'ERR_SSH_HOST_KEY':
      return 'the host key is unknown or changed: verify it out of band, never just accept it'
    case 'ERR_SSH_AUTH':
    case 'ERR_SSH_AUTH_BAD_TYPE':
      return 'the server refused every credential offered'
    case 'ERR_SSH_UNEXPECTED_EXIT':
      return 'the command ran and failed'
    default:
      return err.message
  }
}
// #endregion switch-on-code

/** Explains whatever a call rejected with, reading the fields of the class its code names. */
// #region narrow-unknown
export function explain(thrown: unknown): string {
  if (!isSSHError(thrown)) return String(thrown)
  switch (thrown.code) {
    case 'ERR_SSH_CONNECT':
      return `cannot reach ${thrown.host}:${thrown.port}`
    case 'ERR_SSH_TIMEOUT':
      return `no answer during ${thrown.phase} within ${thrown.timeoutMs} ms`
    case 'ERR_SSH_HOST_KEY':
      return `host key ${thrown.reason} for ${thrown.host}: ${thrown.fingerprint}`
    case 'ERR_SSH_UNEXPECTED_EXIT':
      return `${thrown.result.command} exited with ${thrown.result.exitCode}`
    default:
      return `${thrown.code}: ${thrown.message}`
  }
}
// #endregion narrow-unknown
