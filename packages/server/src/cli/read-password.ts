/** Reads one password from stdin for `x-sshd hash-password`: without echo on a terminal. */
import type { ReadStream } from 'node:tty'

/** Reads a whole piped stdin and returns its first line. */
async function readPiped(input: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8')
    if (text.includes('\n')) break
  }
  return text.split(/\r?\n/)[0]!
}

/** Reads from a terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D on an empty line aborts. */
function readTty(input: ReadStream, prompt: NodeJS.WritableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    prompt.write('Password: ')
    input.setRawMode(true)
    input.setEncoding('utf8')
    let value = ''
    const done = (err?: Error): void => {
      input.off('data', onData)
      input.setRawMode(false)
      input.pause()
      prompt.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (s: string): void => {
      for (const ch of s) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) return done(new Error('aborted'))
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('')
        else if (ch >= ' ') value += ch
      }
    }
    input.on('data', onData)
    input.resume()
  })
}

/** Reads a password from `input`: the first line when piped, typed without echo on a tty. */
export function readPassword(input: NodeJS.ReadableStream & { isTTY?: boolean } = process.stdin, prompt: NodeJS.WritableStream = process.stderr): Promise<string> {
  if (input.isTTY) return readTty(input as ReadStream, prompt)
  return readPiped(input)
}
