import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The Markdown file, relative to the repository root. */
  readonly file: string
  /** The line of the opening fence, from 1. */
  readonly line: number
  /** The fence's language (`ts`, `sh`, `yaml`, `json`), `''` when it has none. */
  readonly lang: string
  readonly code: string
  /** The HTML comments just above the fence, `<!-- name: value -->`, by name. */
  readonly directives: ReadonlyMap<string, string>
  /** Where the block is, for messages: `docs/guards/lock.md:8`. */
  readonly where: string
}

/** `docs/**\/*.md` and `README.md`, relative to `root`, sorted. */
export function docFiles(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) return walk(path)
      return entry.name.endsWith('.md') ? [path] : []
    })
  return ['README.md', ...walk('docs').sort()]
}

const FENCE = /^ {0,3}(`{3,})\s*([\w-]*)/
const DIRECTIVE = /^<!--\s*([\w-]+)\s*(?::\s*([\s\S]*?))?\s*-->$/

/** Every fenced code block of `file` (relative to `root`), with the directives above it. */
export function codeBlocks(root: string, file: string): CodeBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n')
  const blocks: CodeBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!)
    if (open === null) continue
    const fence = open[1]!
    let end = i + 1
    while (end < lines.length && lines[end]!.trim() !== fence) end++
    if (end === lines.length) throw new Error(`${file}:${i + 1}: a code fence is never closed`)
    blocks.push({
      file: relative(root, join(root, file)),
      line: i + 1,
      lang: open[2] ?? '',
      code: lines.slice(i + 1, end).join('\n'),
      directives: directivesAbove(lines, i),
      where: `${file}:${i + 1}`,
    })
    i = end
  }
  return blocks
}

/** The `<!-- name: value -->` lines directly above line `fence` (blank lines between allowed). */
function directivesAbove(lines: string[], fence: number): Map<string, string> {
  const directives = new Map<string, string>()
  for (let i = fence - 1; i >= 0; i--) {
    const text = lines[i]!.trim()
    if (text === '') continue
    const match = DIRECTIVE.exec(text)
    if (match === null) break
    directives.set(match[1]!, match[2] ?? '')
  }
  return directives
}
