/** The control characters of RFC 4254 §8 by their stty(1) names. */
const CHARACTERS: Readonly<Record<string, string>> = {
  VINTR: 'intr', VQUIT: 'quit', VERASE: 'erase', VKILL: 'kill', VEOF: 'eof', VEOL: 'eol', VEOL2: 'eol2',
  VSTART: 'start', VSTOP: 'stop', VSUSP: 'susp', VREPRINT: 'rprnt', VWERASE: 'werase', VLNEXT: 'lnext',
  VDISCARD: 'discard',
}

/** The flags of RFC 4254 §8 that Linux's stty(1) knows, by their stty names (GNU stty has no PENDIN). */
const FLAGS: Readonly<Record<string, string>> = {
  IGNPAR: 'ignpar', PARMRK: 'parmrk', INPCK: 'inpck', ISTRIP: 'istrip', INLCR: 'inlcr', IGNCR: 'igncr',
  ICRNL: 'icrnl', IUCLC: 'iuclc', IXON: 'ixon', IXANY: 'ixany', IXOFF: 'ixoff', IMAXBEL: 'imaxbel',
  IUTF8: 'iutf8', ISIG: 'isig', ICANON: 'icanon', XCASE: 'xcase', ECHO: 'echo', ECHOE: 'echoe',
  ECHOK: 'echok', ECHONL: 'echonl', NOFLSH: 'noflsh', TOSTOP: 'tostop', IEXTEN: 'iexten',
  ECHOCTL: 'echoctl', ECHOKE: 'echoke', OPOST: 'opost', OLCUC: 'olcuc', ONLCR: 'onlcr',
  OCRNL: 'ocrnl', ONOCR: 'onocr', ONLRET: 'onlret', PARENB: 'parenb', PARODD: 'parodd',
}

/**
 * Turns the encoded terminal modes of a `pty-req` (RFC 4254 §8, by ssh2's opcode names) into stty(1)
 * arguments, as sshd's ssh_tty_parse_modes applies them with tcsetattr: control characters in hex
 * (255 is `undef`, _POSIX_VDISABLE), flags as `name` or `-name`, CS7/CS8 when set. Unknown
 * opcodes and the line speeds are left out (a pty has no line speed).
 */
export function sttyArguments(modes: Readonly<Record<string, number>>): string[] {
  const args: string[] = []
  for (const [opcode, value] of Object.entries(modes)) {
    if (!Number.isInteger(value) || value < 0) continue
    const character = CHARACTERS[opcode]
    const flag = FLAGS[opcode]
    // Hex, because GNU stty reads a one-character argument as that character ('4' is not ^D).
    if (character) args.push(character, value === 255 ? 'undef' : `0x${value.toString(16)}`)
    else if (flag) args.push(value ? flag : `-${flag}`)
    else if ((opcode === 'CS7' || opcode === 'CS8') && value) args.push(opcode.toLowerCase())
  }
  return args
}
