import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readRegion } from './support/regions.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const MARKER = /^<!-- snippet: (\S+)#(\S+) -->$/

/** A fenced code block of a page, with the snippet marker on the line above it, if any. */
interface CodeBlock {
  readonly lang: string
  readonly body: string
  readonly line: number
  readonly marker: { readonly file: string; readonly region: string } | undefined
}

function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)$/.exec(lines[i]!)
    if (open === null) continue
    const close = lines.findIndex((line, j) => j > i && line === '```')
    if (close < 0) throw new Error(`unclosed code block at line ${i + 1}`)
    const found = MARKER.exec(lines[i - 1] ?? '')
    blocks.push({
      lang: open[1]!,
      body: lines.slice(i + 1, close).join('\n') + '\n',
      line: i + 1,
      marker: found === null ? undefined : { file: found[1]!, region: found[2]! },
    })
    i = close
  }
  return blocks
}

const pages = ['README.md', ...(await readdir(join(root, 'docs'))).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

describe('docs code blocks', () => {
  it.each(pages)('every ts/js block of %s is marked and byte-identical to its snippet region', async (page) => {
    const blocks = codeBlocks(await readFile(join(root, page), 'utf8')).filter((b) => /^(ts|js|typescript|javascript)$/.test(b.lang))
    for (const block of blocks) {
      expect(block.marker, `${page}:${block.line} has no snippet marker`).toBeDefined()
      const region = await readRegion(join(root, block.marker!.file), block.marker!.region)
      expect(block.body, `${page}:${block.line} drifted from ${block.marker!.file}#${block.marker!.region}`).toBe(region)
    }
  })

  it('finds exactly one README block taken from release/snippets/readme.ts, the one the pack test runs', async () => {
    const readme = codeBlocks(await readFile(join(root, 'README.md'), 'utf8'))
    expect(readme.filter((b) => b.marker?.file === 'release/snippets/readme.ts')).toHaveLength(1)
  })

  it("keeps the README's two commands first, exactly", async () => {
    const [first] = codeBlocks(await readFile(join(root, 'README.md'), 'utf8'))
    expect(first).toMatchObject({
      lang: 'sh',
      body: 'npx -y pnpm@10 install && npx -y pnpm@10 demo\nnpx -y pnpm@10 install --frozen-lockfile && npx -y pnpm@10 test:all\n',
    })
  })
})
