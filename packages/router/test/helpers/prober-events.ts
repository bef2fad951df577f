/** Bounded waits on a HostProber's events. */
import type { HostProber } from '../../src/health/host-prober.js'
import type { ProbeOutcome } from '../../src/health/probe-ssh.js'

/** Resolves when `prober` records `state` for `host` (with no store error), rejects after `timeoutMs`. */
export function nextMark(prober: HostProber, host: string, state: 'up' | 'down', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMark = (h: string, s: 'up' | 'down', error: unknown): void => {
      if (h !== host || s !== state || error !== undefined) return
      done()
      resolve()
    }
    const timer = setTimeout(() => {
      done()
      reject(new Error(`no '${state}' mark for ${host} within ${timeoutMs} ms`))
    }, timeoutMs)
    const done = (): void => {
      clearTimeout(timer)
      prober.off('mark', onMark)
    }
    prober.on('mark', onMark)
  })
}

/** Collects every probe outcome and mark `prober` reports, in order. */
export function record(prober: HostProber): { probes: ProbeOutcome[]; marks: string[] } {
  const log = { probes: [] as ProbeOutcome[], marks: [] as string[] }
  prober.on('probe', (o) => log.probes.push(o))
  prober.on('mark', (h, s) => log.marks.push(`${h} ${s}`))
  return log
}
