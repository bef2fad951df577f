/** x-sshd's log lines on stderr: `text` for people, `json` for collectors. Events carry no secret. */
import type { ServerLogEvent } from '../listen/server-log.js'

/**
 * Returns one log line (without the newline) for `event` at `time`: `json` is the event with its
 * time; `text` is `TIME EVENT key=value…`, values quoted when they hold spaces, quotes or `=`.
 */
export function formatLogLine<E extends { readonly event: string }>(event: E, format: 'text' | 'json', time: Date = new Date()): string {
  if (format === 'json') return JSON.stringify({ time: time.toISOString(), ...event })
  const { event: name, ...fields } = event
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) && v !== '' ? v : JSON.stringify(v)}`)
  return [time.toISOString(), name, ...parts].join(' ')
}

/** Returns a ListenOptions.log callback that writes each event as a line to `out`. */
export function lineLogger<E extends { readonly event: string } = ServerLogEvent>(format: 'text' | 'json', out: NodeJS.WritableStream = process.stderr): (event: E) => void {
  return (event) => {
    out.write(`${formatLogLine(event, format)}\n`)
  }
}
