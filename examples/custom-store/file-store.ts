// A worked example of a CacheStore: entries as files in a directory, one file per key. Small on
// purpose; docs/stores.md walks through it. It passes the same conformance suite as our stores.
import { createHash, randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CacheStore } from '@cacheguard/core'

/**
 * A store that keeps each entry in a file named by the SHA-256 of its key (any key becomes a safe
 * file name), holding `<expiry ms>\n<value>`. Expired files read as absent and are removed.
 *
 * @example
 * const cache = createCache({ store: fileStore('/var/cache/app') })
 */
export function fileStore(directory: string): CacheStore {
  if (typeof directory !== 'string' || directory === '') {
    throw new TypeError(`Expected \`directory\` to be a non-empty path, got ${String(directory)}`)
  }
  const ready = mkdir(directory, { recursive: true })
  const path = (key: string) => join(directory, createHash('sha256').update(key).digest('hex'))

  /** The file's value and expiry, or `undefined` when it is absent or expired. */
  const read = async (key: string): Promise<{ value: string; expiresAt: number } | undefined> => {
    await ready
    let text: string
    try {
      text = await readFile(path(key), 'utf8')
    } catch (error) {
      // Absent is not an error: the contract says a missing key reads as undefined.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    const newline = text.indexOf('\n')
    const expiresAt = Number(text.slice(0, newline))
    if (newline < 0 || !Number.isFinite(expiresAt) || Date.now() >= expiresAt) {
      // Never return a value past its TTL; clean the file up on the way.
      await rm(path(key), { force: true })
      return undefined
    }
    return { value: text.slice(newline + 1), expiresAt }
  }

  return {
    name: 'file',

    async get(key) {
      return (await read(key))?.value
    },

    async set(key, value, ttlMs) {
      await ready
      // Write aside, then rename: a reader never sees half a file.
      const temporary = join(directory, `.${randomUUID()}`)
      await writeFile(temporary, `${Date.now() + ttlMs}\n${value}`, 'utf8')
      await rename(temporary, path(key))
    },

    async delete(key) {
      const present = (await read(key)) !== undefined
      await rm(path(key), { force: true })
      return present
    },

    async ttl(key) {
      const entry = await read(key)
      return entry === undefined ? undefined : Math.max(0, entry.expiresAt - Date.now())
    },
  }
}
