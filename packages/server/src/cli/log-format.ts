/** x-sshd's log lines on stderr: `text` for people, `json` for collectors. Events carry no secret. */
import type { ServerLogEvent } from '../listen/server-log.js'

/** Returns one log line (without the newline) for `event` at `time`. */
export function formatLogLine(event: ServerLogEvent, format: 'text' | 'json', time: Date = new Date()): string {
  if (format === 'json') return JSON.stringify({ time: time.toISOString(), ...event })
  const { event: name, ...fields } = event
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/[\s"=]/.test(v) && v !== '' ? v : JSON.stringify(v)}`)
  return [time.toISOString(), name, ...parts].join(' ')
}

/** Returns a ListenOptions.log callback that writes each event as a line to `out`. */
export function lineLogger(format: 'text' | 'json', out: NodeJS.WritableStream = process.stderr): (event: ServerLogEvent) => void {
  return (event) => {
    out.write(`${formatLogLine(event, format)}\n`)
  }
}
