/** Key pairs for the embedded lab: host keys for its servers and the client key its users log in with. */
import ssh2 from 'ssh2'

const { utils } = ssh2

/** An ed25519 key pair: the private key in OpenSSH format and the public key as an OpenSSH line. */
export interface LabKeyPair {
  readonly privateKey: string
  /** `ssh-ed25519 AAAA…`, as in authorized_keys and known_hosts. */
  readonly publicLine: string
}

/**
 * Generates an ed25519 key pair ssh2 can read back: ssh2 1.17 mangles about 1 generated public
 * key in 256 (a leading zero byte is stripped, mscdex/ssh2#1390), so such a pair is made again.
 */
export function generateKeyPair(comment = 'lab'): LabKeyPair {
  for (let attempt = 0; attempt < 32; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519', { comment })
    const pub = utils.parseKey(pair.public)
    if (utils.parseKey(pair.private) instanceof Error || pub instanceof Error) continue
    return { privateKey: pair.private, publicLine: `${pub.type} ${pub.getPublicSSH().toString('base64')}` }
  }
  throw new Error('ssh2 produced no parsable ed25519 key pair in 32 attempts')
}
