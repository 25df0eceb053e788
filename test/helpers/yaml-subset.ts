// A parser for the YAML the docs show (Prometheus configs and rules, Kubernetes manifests), so the
// docs test can check their structure without a YAML dependency: block mappings and sequences,
// flow collections on one line (`[a, 'b']`, `{ name: x }`), quoted and plain scalars, `|` and `>`
// block scalars, comments. Anything else throws, with its line.

/** Parses `text`; throws a `SyntaxError` naming the line it could not read. */
export function parseYaml(text: string): unknown {
  const parser = new Parser(text.split('\n'))
  const value = parser.node(0)
  const rest = parser.next()
  if (rest !== undefined) parser.fail(rest, 'unexpected indentation')
  return value
}

class Parser {
  private i = 0
  constructor(private readonly lines: string[]) {}

  fail(line: number, message: string): never {
    throw new SyntaxError(`YAML line ${line + 1}: ${message}: ${this.lines[line]?.trim()}`)
  }

  /** The index of the next line with content, from the current one. */
  next(): number | undefined {
    for (let j = this.i; j < this.lines.length; j++) {
      if (stripComment(this.lines[j]!).trim() !== '') return j
    }
    return undefined
  }

  private indent(j: number): number {
    return this.lines[j]!.length - this.lines[j]!.trimStart().length
  }

  private content(j: number): string {
    return stripComment(this.lines[j]!).trim()
  }

  /** A mapping or a sequence starting at the next line, if it is indented at least `min`. */
  node(min: number): unknown {
    const j = this.next()
    if (j === undefined || this.indent(j) < min) return null
    return /^-( |$)/.test(this.content(j))
      ? this.sequence(this.indent(j))
      : this.mapping(this.indent(j))
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = []
    for (let j = this.next(); j !== undefined; j = this.next()) {
      const text = this.content(j)
      if (this.indent(j) !== indent || !/^-( |$)/.test(text)) break
      const rest = text.slice(1).trim()
      if (rest === '') {
        this.i = j + 1
        items.push(this.node(indent + 1))
      } else if (isMappingEntry(rest)) {
        // `- name: x`: a mapping whose first entry shares the dash's line.
        const column = indent + this.lines[j]!.trimStart().indexOf(rest)
        this.lines[j] = ' '.repeat(column) + stripComment(this.lines[j]!).trim().slice(1).trim()
        this.i = j
        items.push(this.mapping(column))
      } else {
        this.i = j + 1
        items.push(inline(rest, () => this.fail(j, 'bad value')))
      }
    }
    return items
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {}
    for (let j = this.next(); j !== undefined; j = this.next()) {
      const text = this.content(j)
      if (this.indent(j) < indent || (this.indent(j) === indent && text.startsWith('-'))) break
      if (this.indent(j) > indent) this.fail(j, 'unexpected indentation')
      const entry = /^("[^"]*"|'[^']*'|[^'"{[][^:]*?):(?: +(.*))?$/.exec(text)
      if (entry === null) this.fail(j, 'expected `key: value`')
      const key = unquote(entry[1]!)
      const value = entry[2]?.trim() ?? ''
      this.i = j + 1
      if (value === '') {
        const k = this.next()
        const nested =
          k !== undefined && this.indent(k) === indent && /^-( |$)/.test(this.content(k))
        map[key] = nested ? this.sequence(indent) : this.node(indent + 1)
      } else if (/^[|>][-+]?$/.test(value)) {
        map[key] = this.blockScalar(indent, value.startsWith('>') ? ' ' : '\n')
      } else {
        map[key] = inline(value, () => this.fail(j, 'bad value'))
      }
    }
    return map
  }

  private blockScalar(indent: number, join: string): string {
    const body: string[] = []
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!
      if (line.trim() !== '' && this.indent(this.i) <= indent) break
      body.push(line)
      this.i++
    }
    const inner = Math.min(
      ...body.filter((l) => l.trim() !== '').map((l) => l.length - l.trimStart().length),
    )
    return body
      .map((l) => l.slice(inner))
      .join(join)
      .trim()
  }
}

function isMappingEntry(text: string): boolean {
  return /^("[^"]*"|'[^']*'|[\w.-]+):( |$)/.test(text)
}

/** A comment starts at `#` after a space, outside quotes. */
function stripComment(line: string): string {
  let quote: string | undefined
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quote !== undefined) {
      if (c === quote) quote = undefined
    } else if (c === '"' || c === "'") {
      quote = c
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i)
    }
  }
  return line
}

function unquote(text: string): string {
  const t = text.trim()
  if (t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0]) return t.slice(1, -1)
  return t
}

function scalar(text: string): unknown {
  const t = text.trim()
  if (t.startsWith('"') || t.startsWith("'")) return unquote(t)
  if (t === 'true' || t === 'false') return t === 'true'
  if (t === 'null' || t === '~') return null
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t)
  return t
}

/** A value on one line: a flow collection or a scalar. */
function inline(text: string, fail: () => never): unknown {
  if (!text.startsWith('[') && !text.startsWith('{')) return scalar(text)
  let pos = 0
  const ws = () => {
    while (pos < text.length && text[pos] === ' ') pos++
  }
  const plain = (stops: string) => {
    const start = pos
    if (text[pos] === '"' || text[pos] === "'") {
      const end = text.indexOf(text[pos]!, pos + 1)
      if (end === -1) fail()
      pos = end + 1
    } else {
      while (pos < text.length && !stops.includes(text[pos]!)) pos++
    }
    return text.slice(start, pos)
  }
  const value = (): unknown => {
    ws()
    if (text[pos] === '[') {
      pos++
      const items: unknown[] = []
      for (ws(); text[pos] !== ']'; ws()) {
        items.push(value())
        ws()
        if (text[pos] === ',') pos++
        else if (text[pos] !== ']') fail()
      }
      pos++
      return items
    }
    if (text[pos] === '{') {
      pos++
      const map: Record<string, unknown> = {}
      for (ws(); text[pos] !== '}'; ws()) {
        const key = unquote(plain(':,}'))
        if (text[pos] !== ':') fail()
        pos++
        map[key] = value()
        ws()
        if (text[pos] === ',') pos++
        else if (text[pos] !== '}') fail()
      }
      pos++
      return map
    }
    return scalar(plain(',]}'))
  }
  const result = value()
  ws()
  if (pos !== text.length) fail()
  return result
}
