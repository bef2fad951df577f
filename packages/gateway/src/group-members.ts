import { readdir, readFile } from 'node:fs/promises'

/**
 * Lists the descendants of `leader` that are still in its process group (`leader` is the group
 * ID), parents before children, from /proc (Linux); [] where /proc is not readable. Cheap: it
 * reads only the `children` lists of the leader's descendants. @internal
 */
export async function descendantsInGroup(leader: number): Promise<number[]> {
  const out: number[] = []
  const queue = [leader]
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of await childrenOf(pid)) {
      if (out.includes(child) || child === leader) continue
      queue.push(child)
      if ((await groupOf(child)) === leader) out.push(child)
    }
  }
  return out
}

/** The children of every thread of `pid` (/proc/<pid>/task/<tid>/children, Linux ≥ 3.5). */
async function childrenOf(pid: number): Promise<number[]> {
  let tasks: string[]
  try {
    tasks = await readdir(`/proc/${pid}/task`)
  } catch {
    return []
  }
  const lists = await Promise.all(tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')))
  return lists.flatMap((list) => list.split(' ').filter((s) => s !== '').map(Number))
}

/** The process group of `pid`, or undefined when it is gone. */
async function groupOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // After the command name (which ends at the last ')'): state, ppid, pgrp, …
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  } catch {
    return undefined
  }
}
