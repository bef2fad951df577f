// Type-checked by release/pack.test.ts against the installed tarballs' declarations (strict,
// exactOptionalPropertyTypes, skipLibCheck false): a switch on `code` over the published
// AnySSHError narrows to each class and is exhaustive, and isSSHError narrows `unknown`.
import { isSSHError, type AnySSHError } from '@x/connection'

/** Describes an error of the library by the fields of its class, one case per code. */
export function describeError(err: AnySSHError): string {
  switch (err.code) {
    case 'ERR_SSH':
      return err.message
    case 'ERR_SSH_CONNECT':
      return `${err.host}:${err.port}`
    case 'ERR_SSH_TIMEOUT':
      return `${err.phase} after ${err.timeoutMs} ms${err.stop === undefined ? '' : `, ${err.stop.method}`}`
    case 'ERR_SSH_HANDSHAKE':
      return err.name
    case 'ERR_SSH_HOST_KEY':
      return `${err.reason} ${err.fingerprint} for ${err.host}:${err.port}`
    case 'ERR_SSH_AUTH':
      return `${err.username}: ${err.triedMethods.join(',')} (${err.skippedKeys.length} skipped)`
    case 'ERR_SSH_AUTH_BAD_TYPE':
      return err.allowedTypes.join(',')
    case 'ERR_SSH_KEY':
      return err.reason
    case 'ERR_SSH_CHANNEL_OPEN':
      return `${err.reason} ${err.description}`
    case 'ERR_SSH_CONNECTION_LOST':
    case 'ERR_SSH_FORWARD':
      return err.name
    case 'ERR_SSH_SFTP':
      return `${err.path ?? ''} ${err.status ?? ''}`
    case 'ERR_SSH_CONFIG':
      return `${err.file ?? ''}:${err.line ?? ''}`
    case 'ERR_SSH_GATEWAY_CONFLICT':
      return `${err.host}: ${err.sources[0]} / ${err.sources[1]}`
    case 'ERR_SSH_PROXY_COMMAND':
      return `${err.command} ${err.exitCode ?? err.signal ?? ''} ${err.stderrTail}`
    case 'ERR_SSH_UNEXPECTED_EXIT':
      return `${err.result.command} → ${err.result.exitCode ?? err.result.signal ?? ''}`
    case 'ERR_SSH_MAX_BUFFER':
      return `${err.stream} > ${err.maxBuffer} (${err.stop.method})`
    default: {
      const unhandled: never = err
      return unhandled
    }
  }
}

/** Describes whatever a call rejected with; the guard narrows `unknown`. */
export function describeFailure(thrown: unknown): string {
  return isSSHError(thrown) ? describeError(thrown) : String(thrown)
}
