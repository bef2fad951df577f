/** Describes one SSH packet as PuTTY's `-sshlog` shows it (decrypted, without its type byte). */
export interface PuttyLogPacket {
  /** 'out': plink/psftp sent it; 'in': the server did. */
  direction: 'in' | 'out'
  /** The message number (RFC 4250 §4.1.2), e.g. 98 for SSH_MSG_CHANNEL_REQUEST. */
  type: number
  /** The bytes after the message number, from the log's hex dump. */
  payload: Buffer
}

/** Describes one want-reply channel request the client sent, and the server's answer to it. */
export interface PuttyChannelRequest {
  /** The request type, e.g. 'winadj@putty.projects.tartarus.org', 'shell', 'pty-req'. */
  type: string
  /** The server's answer: SSH_MSG_CHANNEL_SUCCESS, _FAILURE, or none before the log ends. */
  answer: 'success' | 'failure' | null
}

const HEADER = /^(Incoming|Outgoing) packet #0x[0-9a-f]+, type (\d+) \//
const HEX_LINE = /^ {2}[0-9a-f]{8} {2}((?:[0-9a-f]{2} ){0,15}[0-9a-f]{2})/

/** Parses a PuTTY `-sshlog` file into its packets, in log order. */
export function parsePuttyLog(log: string): PuttyLogPacket[] {
  const packets: PuttyLogPacket[] = []
  let bytes: number[] | undefined
  let current: Omit<PuttyLogPacket, 'payload'> | undefined
  const flush = (): void => {
    if (current && bytes) packets.push({ ...current, payload: Buffer.from(bytes) })
    current = undefined
    bytes = undefined
  }
  for (const line of log.split(/\r?\n/)) {
    const header = HEADER.exec(line)
    if (header) {
      flush()
      current = { direction: header[1] === 'Outgoing' ? 'out' : 'in', type: Number(header[2]) }
      bytes = []
      continue
    }
    const hex = bytes ? HEX_LINE.exec(line) : null
    if (hex?.[1] && bytes) for (const b of hex[1].split(' ')) bytes.push(parseInt(b, 16))
    else flush()
  }
  flush()
  return packets
}

/**
 * Pairs every want-reply SSH_MSG_CHANNEL_REQUEST the client sent with the server's answer
 * (RFC 4254 §5.4: answers come in request order, per channel).
 */
export function channelRequestAnswers(log: string): PuttyChannelRequest[] {
  const all: PuttyChannelRequest[] = []
  const pending = new Map<number, PuttyChannelRequest[]>() // by the server's channel number
  const serverChannelOf = new Map<number, number>() // client's number → server's
  for (const { direction, type, payload } of parsePuttyLog(log)) {
    if (direction === 'in' && type === 91 && payload.length >= 8) {
      serverChannelOf.set(payload.readUInt32BE(0), payload.readUInt32BE(4))
    } else if (direction === 'out' && type === 98 && payload.length >= 8) {
      const length = payload.readUInt32BE(4)
      const wantReply = payload[8 + length] === 1
      if (!wantReply) continue
      const request: PuttyChannelRequest = { type: payload.subarray(8, 8 + length).toString('latin1'), answer: null }
      all.push(request)
      const channel = payload.readUInt32BE(0)
      pending.set(channel, [...(pending.get(channel) ?? []), request])
    } else if (direction === 'in' && (type === 99 || type === 100) && payload.length >= 4) {
      const channel = serverChannelOf.get(payload.readUInt32BE(0))
      const request = channel === undefined ? undefined : pending.get(channel)?.shift()
      if (request) request.answer = type === 99 ? 'success' : 'failure'
    }
  }
  return all
}
