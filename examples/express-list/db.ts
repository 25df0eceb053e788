// The example's database: a real PostgreSQL through `pg` when one answers, else PostgreSQL
// itself compiled to WebAssembly (PGlite, in memory) so the example runs on a fresh machine too.
// Either way it holds one table of this process, seeded with 1,000 products and dropped on close.
import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/** The one face of the database the app sees, whichever answered. */
export interface Database {
  readonly kind: 'postgres' | 'pglite'
  /** Where it is, for the log: the URL without its password, or `PGlite (in memory)`. */
  readonly where: string
  /** This process's products table: `id` (1..1000), `name`, `price` (in cents). */
  readonly table: string
  /** Runs one statement with `$1`-style parameters and resolves its rows. */
  query<R>(sql: string, params?: unknown[]): Promise<R[]>
  /** Drops the table and closes the connections. */
  close(): Promise<void>
}

/** How many products the table is seeded with. */
export const PRODUCTS = 1000
/** Tried in order when `DATABASE_URL` is not set; the second for a server whose only role is `postgres`. */
const LOCAL = ['postgres://127.0.0.1:5432/test', 'postgres://postgres@127.0.0.1:5432/test']

/**
 * Opens the database and creates and seeds this process's table; prints which database it used.
 * `EXAMPLE_DB=pglite` uses PGlite; else `DATABASE_URL` (it must answer); else the local
 * PostgreSQL at 127.0.0.1:5432, else PGlite.
 *
 * @example
 * const db = await openDatabase()
 * const rows = await db.query(`SELECT name FROM ${db.table} WHERE id = $1`, [7])
 */
export async function openDatabase(): Promise<Database> {
  const wanted = process.env.EXAMPLE_DB
  if (wanted !== undefined && wanted !== '' && wanted !== 'pglite') {
    throw new TypeError(`Expected \`EXAMPLE_DB\` to be pglite or unset, got \`${wanted}\``)
  }
  let db: Omit<Database, 'table'> | undefined
  let why: string
  if (wanted === 'pglite') {
    why = 'EXAMPLE_DB=pglite'
  } else if (process.env.DATABASE_URL) {
    // Asked for by name: not answering is an error, not a reason to use another database.
    db = await connectPostgres(process.env.DATABASE_URL)
    why = 'DATABASE_URL'
  } else {
    db = await connectLocal()
    why = db ? 'it answers' : `no PostgreSQL answers at ${LOCAL[0]}; set DATABASE_URL to use one`
  }
  db ??= await openPglite()
  // A table of this process alone (pid plus random, for containers that share a server), so
  // parallel runs never see each other's rows.
  const table = `cacheguard_example_products_${process.pid}_${randomBytes(3).toString('hex')}`
  try {
    await db.query(
      `CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, price integer NOT NULL)`,
    )
    await db.query(
      `INSERT INTO ${table} (id, name, price)
       SELECT i, 'Product ' || i, 100 + (i * 37) % 900 FROM generate_series(1, $1::integer) AS i`,
      [PRODUCTS],
    )
  } catch (error) {
    await db.close()
    throw error
  }
  console.log(`database: ${db.where} (${why}), table ${table} with ${PRODUCTS} products`)
  const { close } = db
  return {
    ...db,
    table,
    async close() {
      try {
        await db.query(`DROP TABLE IF EXISTS ${table}`)
      } finally {
        await close()
      }
    },
  }
}

/** The first local candidate that answers; `undefined` when none does. */
async function connectLocal(): Promise<Omit<Database, 'table'> | undefined> {
  for (const url of LOCAL) {
    try {
      return await connectPostgres(url)
    } catch (error) {
      // A server refusing this role (SQLSTATE class 28) is worth another try as `postgres`;
      // nothing listening, or a timeout, is not.
      if (!(error instanceof pg.DatabaseError && error.code?.startsWith('28'))) return undefined
    }
  }
  return undefined
}

/** A pool on `url` that has answered one query; rejects if it does not within about 1 s. */
async function connectPostgres(url: string): Promise<Omit<Database, 'table'>> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 1000, max: 5 })
  // An idle client whose server went away emits this; without a listener it kills the process.
  pool.on('error', () => {})
  try {
    await pool.query('SELECT 1')
  } catch (error) {
    await pool.end()
    throw error
  }
  const where = new URL(url)
  where.password = ''
  return {
    kind: 'postgres',
    where: `PostgreSQL at ${where}`,
    query: async <R>(sql: string, params?: unknown[]) =>
      (await pool.query(sql, params)).rows as R[],
    close: () => pool.end(),
  }
}

async function openPglite(): Promise<Omit<Database, 'table'>> {
  const pglite = await PGlite.create()
  return {
    kind: 'pglite',
    where: 'PGlite (in memory)',
    query: async <R>(sql: string, params?: unknown[]) => (await pglite.query<R>(sql, params)).rows,
    close: () => pglite.close(),
  }
}
