/**
 * The POSIX sh script a stop runs in a second session to end a tracked command (command-stop.ts).
 * @internal
 */

/**
 * What a kill script aims at: the login shell's pid and process group as the shell reported
 * them, or — when the stop comes before that line arrived (startup files still running, a slow
 * link) — the random marker of the tracked command line, which is in the argv of that shell
 * and of every subshell it forks.
 * @internal
 */
export type KillTarget = { readonly pid: number; readonly pgid: number } | { readonly marker: string }

/**
 * Returns the script that ends `target`: TERM, KILL after ~0.5 s, exit 0 once all is gone (1 if
 * something still runs after ~1.5 s, or the marker cannot be searched without `ps`). A shell that
 * leads its own group (OpenSSH's setsid()) has its group signalled. Otherwise (Dropbear 2022.83
 * runs the shell in its own connection process's group, which must not be hit) the shell's
 * process tree is listed with `ps` and `awk`, frozen with STOP so nothing forks or moves on, then
 * sent TERM and CONT. A marker that matches no process means nothing of the command runs.
 * @internal
 */
export function killScript(target: KillTarget): string {
  return [...rootsOf(target), ...KILL_ROOTS].join('\n')
}

/** Lines that set `roots` to the `pid:pgid` pairs to end, or exit when there are none. */
function rootsOf(target: KillTarget): string[] {
  if ('pid' in target) return [`roots='${target.pid}:${target.pgid}'`]
  // The marker is split in two so that neither this script's own argv nor awk's holds it whole.
  const id = target.marker.replace(/^\u0001/, '').replace(/:$/, '')
  const cut = id.indexOf('-', id.indexOf('-') + 1) + 1
  return [
    'command -v ps >/dev/null 2>&1 || exit 1',
    `roots=$(ps -e -o pid= -o pgid= -o args= | awk -v a='${id.slice(0, cut)}' -v b='${id.slice(cut)}' 'index($0, a b) { printf "%s:%s ", $1, $2 }')`,
    '[ -n "$roots" ] || exit 0',
  ]
}

/** Turns `roots` into groups and trees, then signals and waits (bounded). */
const KILL_ROOTS = [
  'groups=; t=',
  'tree() { ps -e -o pid= -o ppid= | awk -v r="$1" \'{ up[$1] = $2 } END { if (!(r in up)) exit; k[r] = 1; do { c = 0; for (x in up) if (!(x in k) && (up[x] in k)) { k[x] = 1; c = 1 } } while (c); for (x in k) printf "%s ", x }\'; }',
  'for r in $roots; do',
  '  p=${r%%:*}; g=${r#*:}',
  '  if [ "$p" = "$g" ]; then groups="$groups $g"; else t="$t $(tree "$p")"; fi',
  'done',
  // Zombies are dead (and where PID 1 does not reap, as in containers, orphans stay zombies):
  // ask ps for the state when there is one.
  'if command -v ps >/dev/null 2>&1; then',
  '  galive() { ps -e -o pgid= -o stat= 2>/dev/null | awk -v g="$1" \'$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }\'; }',
  'else',
  '  galive() { kill -s 0 -- "-$1" 2>/dev/null; }',
  'fi',
  'alive() {',
  '  for g in $groups; do galive "$g" && return 0; done',
  '  for x in $t; do s=$(ps -o stat= -p "$x" 2>/dev/null) || continue; case $s in Z*|"") ;; *) return 0 ;; esac; done',
  '  return 1',
  '}',
  'hit() { for g in $groups; do kill -s "$1" -- "-$g" 2>/dev/null; done; for x in $t; do kill -s "$1" "$x" 2>/dev/null; done; }',
  'tstop() { for x in $t; do kill -s "$1" "$x" 2>/dev/null; done; }',
  'alive || exit 0',
  'tstop STOP; hit TERM; tstop CONT',
  'i=0',
  'while alive; do',
  '  i=$((i+1))',
  '  if [ "$i" -eq 5 ]; then hit KILL; fi',
  '  if [ "$i" -gt 15 ]; then exit 1; fi',
  '  sleep 0.1 2>/dev/null || sleep 1',
  'done',
  'exit 0',
]
