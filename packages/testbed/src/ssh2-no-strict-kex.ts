import { createRequire } from 'node:module'
import type { Connection } from 'ssh2'

const require = createRequire(import.meta.url)
const { KexInit } = require('ssh2/lib/protocol/kex.js') as { KexInit: new (lists: unknown) => unknown }

/** The strict-kex marker a server adds to its KEXINIT (OpenSSH PROTOCOL, "strict key exchange"). */
const SERVER_STRICT_MARKER = 'kex-strict-s-v00@openssh.com'

interface KexList {
  array: string[]
}

interface OfferInternals {
  lists: {
    kex: KexList
    serverHostKey: KexList
    cs: Record<'cipher' | 'mac' | 'compress' | 'lang', KexList>
    sc: Record<'cipher' | 'mac' | 'compress' | 'lang', KexList>
  }
}

interface ServerProtocolInternals {
  _offer: OfferInternals
  _strictMode: boolean | undefined
}

/**
 * Makes one connection of an in-process ssh2 Server behave as a server without strict key
 * exchange (an OpenSSH before 9.6, an unpatched Dropbear): its KEXINIT leaves out
 * `kex-strict-s-v00@openssh.com` and it does not enter strict mode itself. Every server on
 * this machine (OpenSSH 9.2 and Dropbear 2022.83 as Debian ships them) does strict kex, so
 * this protocol corner needs the in-process server.
 *
 * Call it from `startSsh2Server`'s `onConnection`: ssh2 1.17 emits the server's 'connection'
 * after the client's identification line and sends its own KEXINIT right after that call.
 */
export function disableStrictKex(connection: Connection): void {
  const proto = (connection as unknown as { _protocol?: ServerProtocolInternals })._protocol
  if (!proto?._offer?.lists) throw new Error('ssh2 server protocol internals not found (written against ssh2 1.17)')
  const { lists } = proto._offer
  const side = (dir: 'cs' | 'sc') => ({
    cipher: lists[dir].cipher.array,
    mac: lists[dir].mac.array,
    compress: lists[dir].compress.array,
    lang: lists[dir].lang.array,
  })
  proto._offer = new KexInit({
    kex: lists.kex.array.filter((name) => name !== SERVER_STRICT_MARKER),
    serverHostKey: lists.serverHostKey.array,
    cs: side('cs'),
    sc: side('sc'),
  }) as OfferInternals
  // ssh2 decides strict mode once, from the client's list, unless it was decided already.
  proto._strictMode = false
}
