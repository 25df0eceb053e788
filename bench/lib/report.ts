// What every benchmark prints and keeps: its table on the console, its figures in bench/results/.
import { mkdir, writeFile } from 'node:fs/promises'

/**
 * Prints `rows` as a table: the first row is the header, followed by a dashed line; columns are
 * two spaces apart, the first `leftColumns` aligned left (names), the others right (figures).
 *
 * @example
 * printRows([['contender', 'ops/s'], ['cacheguard', '51,204']])
 */
export function printRows(rows: string[][], leftColumns = 1): void {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  for (const [index, row] of rows.entries()) {
    console.log(
      row
        .map((cell, i) => (i < leftColumns ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  '),
    )
    if (index === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  }
}

/**
 * Writes `results` as indented JSON to `bench/results/<name>.json`, creating the folder if needed,
 * and returns that path from the repository's root, for the script to name in its last line.
 *
 * @example
 * console.log(`written to ${await writeResults('bloom', results)}`)
 */
export async function writeResults(name: string, results: unknown): Promise<string> {
  const folder = new URL('../results/', import.meta.url)
  await mkdir(folder, { recursive: true })
  await writeFile(new URL(`${name}.json`, folder), `${JSON.stringify(results, null, 2)}\n`)
  return `bench/results/${name}.json`
}
