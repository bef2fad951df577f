import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { expect, it } from 'vitest'
import { trackedCommandLine } from '../src/command-stop.js'
import { killScript } from '../src/kill-script.js'

// The kill script on this machine's own sh, ps and awk, for the target a stop has before the
// shell reported its pid: the marker of the tracked line. The shell under test is held in its
// "startup" (a subshell that sleeps) so it has not printed its pid line yet, as a login shell
// still running a slow .bashrc; it then forks the command, which must never start.

/** Starts `sh -c` on a tracked line whose startup runs a forked subshell first. */
function slowStartShell(detached: boolean): { child: ChildProcess; marker: string } {
  const { line, marker } = trackedCommandLine('sleep 31; echo after')
  const child = spawn('/bin/sh', ['-c', `x=$(sleep 32; echo late)\n${line}`], { detached, stdio: ['ignore', 'pipe', 'pipe'] })
  return { child, marker }
}

/** The pids whose argv starts with `start`, or (with `anywhere`) holds it. */
function running(start: string, anywhere = false): number[] {
  const out = spawnSync('ps', ['-e', '-o', 'pid=', '-o', 'args='], { encoding: 'utf8' }).stdout
  return out
    .split('\n')
    .map((l) => /^\s*(\d+) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && (anywhere ? m[2]!.includes(start) : m[2]!.startsWith(start)))
    .map((m) => Number(m[1]))
}

/** Runs the kill script as a stop's second session would, under sh -c. */
function runScript(script: string): number | null {
  return spawnSync('/bin/sh', ['-c', script], { timeout: 5_000 }).status
}

async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

it.each([
  ['outside its own process group (Dropbear: the tree is killed)', false],
  ['as the leader of its own group (OpenSSH setsid: the group is killed)', true],
])('finds a shell that has not reported its pid by the marker and ends it and its subshells, %s', async (_, detached) => {
  const { child, marker } = slowStartShell(detached)
  try {
    await settle(300)
    expect(running('sleep 32').length).toBe(1)
    const exited = once(child, 'exit')
    expect(runScript(killScript({ marker }))).toBe(0)
    const [code, signal] = await exited
    expect({ code, signal }).toEqual({ code: null, signal: 'SIGTERM' })
    await settle(100)
    expect(running('sleep 32')).toEqual([])
    expect(running('sleep 31')).toEqual([])
    expect(running(marker.slice(1, -1), true)).toEqual([])
  } finally {
    child.kill('SIGKILL')
    for (const pid of running('sleep 32')) process.kill(pid, 'SIGKILL')
  }
})

it('exits 0 at once when nothing carries the marker, and never matches its own argv', () => {
  const { marker } = trackedCommandLine('true')
  const started = Date.now()
  expect(runScript(killScript({ marker }))).toBe(0)
  expect(Date.now() - started).toBeLessThan(3_000)
})
