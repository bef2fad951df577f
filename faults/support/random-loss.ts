import { TC, runCommand } from '@x/testbed'

/**
 * The classic-BPF classifier behind {@link setRandomLoss}, as `tc … bpf bytecode` takes it:
 * `ld rand` (the kernel's per-packet random u32, SKF_AD_RANDOM at SKF_AD_OFF + 56);
 * `jgt #threshold` → `ret #0` (no match: the packet goes to the default class 1:1), else
 * `ret #0x10002` (class 1:2, whose queue holds nothing: the packet is dropped).
 */
function lossBytecode(percent: number): string {
  const threshold = Math.round((percent / 100) * 0xffffffff)
  const ldRandom = `32 0 0 ${0xfffff000 + 56}`
  return `4,${ldRandom},37 0 1 ${threshold},6 0 0 0,6 0 0 ${0x10002}`
}

/**
 * Makes the loopback of network namespace `netns` drop `percent` % of all IPv4 packets at
 * random, in both directions of every connection inside it; 0 removes the loss again.
 *
 * `tc netem` is the usual tool, but this kernel has no `sch_netem` (nor `gact`); it does have
 * htb, pfifo and the BPF classifier. An htb root qdisc sends each packet the classifier picks
 * to a class with a zero-length pfifo (dropped on enqueue) and the rest to an unlimited class.
 * TCP sees real loss and retransmits; there is no added delay. Replaces any root qdisc on the
 * namespace's lo (e.g. a site partition).
 *
 * @returns true when the loss is in place; false when this kernel lacks a piece (the link
 *   stays clean and the caller should say so).
 * @throws RangeError when `percent` is not within 0–100.
 */
export async function setRandomLoss(netns: string, percent: number): Promise<boolean> {
  if (!(percent >= 0 && percent <= 100)) throw new RangeError('percent must be within 0–100')
  const tc = (args: string[], allowFailure = false) =>
    runCommand(TC, ['-netns', netns, ...args], { allowFailure, timeoutMs: 10_000 })
  await tc(['qdisc', 'del', 'dev', 'lo', 'root'], true) // fails when there is none: fine
  if (percent === 0) return true
  const steps = [
    ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '1'],
    ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', '100gbit', 'quantum', '200000'],
    ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:2', 'htb', 'rate', '1mbit', 'quantum', '1514'],
    ['qdisc', 'add', 'dev', 'lo', 'parent', '1:2', 'handle', '2:', 'pfifo', 'limit', '0'],
    ['filter', 'add', 'dev', 'lo', 'parent', '1:', 'protocol', 'ip', 'prio', '1', 'bpf', 'bytecode', lossBytecode(percent)],
  ]
  for (const step of steps) {
    const { code } = await tc(step, true)
    if (code !== 0) {
      await tc(['qdisc', 'del', 'dev', 'lo', 'root'], true)
      return false
    }
  }
  return true
}

/**
 * Counts the packets {@link setRandomLoss} has dropped on `netns`'s loopback so far (the drop
 * counter of its zero-length queue); 0 when no loss is set.
 */
export async function randomLossDrops(netns: string): Promise<number> {
  const { stdout } = await runCommand(TC, ['-netns', netns, '-s', 'qdisc', 'show', 'dev', 'lo'], { allowFailure: true, timeoutMs: 10_000 })
  const queue = /qdisc pfifo 2:[^\n]*\n\s*Sent \d+ bytes \d+ pkt \(dropped (\d+)/.exec(stdout)
  return queue ? Number(queue[1]) : 0
}
