import type { Figure } from '../lib/figure.js'
import { p1Forward } from './p1-forward.js'
import { p2Exec } from './p2-exec.js'
import { p3Sftp } from './p3-sftp.js'
import { p4Connect } from './p4-connect.js'
import { p5ProxyJump } from './p5-proxyjump.js'
import { p6Channels } from './p6-channels.js'
import { p7Idle } from './p7-idle.js'

/** Every figure of BENCH.md, in table order. */
export const FIGURES: readonly Figure[] = [p1Forward, p2Exec, p3Sftp, p4Connect, p5ProxyJump, p6Channels, p7Idle]
