import { readFile } from 'node:fs/promises'

/**
 * Returns the text between `// #region name` and `// #endregion name` in `file`, without the
 * marker lines and with the indentation common to its lines removed (a region inside a function
 * reads in the docs as it would at the top level).
 */
export async function readRegion(file: string, name: string): Promise<string> {
  const lines = (await readFile(file, 'utf8')).split('\n')
  const start = lines.findIndex((line) => line.trim() === `// #region ${name}`)
  const end = lines.findIndex((line, index) => index > start && line.trim() === `// #endregion ${name}`)
  if (start < 0 || end < 0) throw new Error(`no region '${name}' in ${file}`)
  return dedent(lines.slice(start + 1, end)).join('\n') + '\n'
}

function dedent(lines: readonly string[]): string[] {
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length)
  const common = indents.length === 0 ? 0 : Math.min(...indents)
  return lines.map((line) => line.slice(common))
}
