// Copies a SQLite deployment into an empty PostgreSQL database: every table of the schema, in foreign-key order,
// in batches, inside one PostgreSQL transaction that also verifies each table's row count before it commits.
// Values are copied as stored (auth state and secrets stay encrypted under the same key); identity sequences
// are set past the highest id SQLite ever handed out, so new rows never reuse one.
import type { Database } from 'bun:sqlite'
import type { SQL, TransactionSQL } from 'bun'
import { is } from 'drizzle-orm'
import { getTableConfig, PgTable } from 'drizzle-orm/pg-core'
import { claimSecretKey } from '../../cluster/secret-key.ts'
import { migratePg } from './db.ts'
import * as schema from './schema.ts'

type Column = { name: string; kind: 'boolean' | 'bytes' | 'plain'; identity: boolean }
type Table = { name: string; columns: Column[]; dependsOn: string[] }

/** Every PostgreSQL table, parents before children. */
export function tablesInCopyOrder(): Table[] {
  const tables = (Object.values(schema) as unknown[])
    .filter((v): v is PgTable => is(v, PgTable))
    .map((t) => {
      const c = getTableConfig(t)
      return {
        name: c.name,
        columns: c.columns.map((col) => ({
          name: col.name,
          kind: col.dataType === 'boolean' ? 'boolean' : col.getSQLType() === 'bytea' ? 'bytes' : 'plain',
          identity: !!(col as { generatedIdentity?: unknown }).generatedIdentity,
        })) as Column[],
        dependsOn: c.foreignKeys
          .map((f) => getTableConfig(f.reference().foreignTable).name)
          .filter((n) => n !== c.name),
      }
    })
  const ordered: Table[] = []
  const placed = new Set<string>()
  while (ordered.length < tables.length) {
    const next = tables.find((t) => !placed.has(t.name) && t.dependsOn.every((d) => placed.has(d)))
    if (!next) throw new Error('the PostgreSQL schema has a foreign-key cycle')
    ordered.push(next)
    placed.add(next.name)
  }
  return ordered
}

export class TargetNotEmpty extends Error {
  constructor(readonly tables: string[]) {
    super(
      `the target database is not empty (rows in ${tables.join(', ')}); migrate-to-postgres copies into an empty ` +
        'database only: create a new one (CREATE DATABASE …) or empty this one; nothing was written',
    )
    this.name = 'TargetNotEmpty'
  }
}

export class CopyMismatch extends Error {
  constructor(table: string, expected: number, got: number) {
    super(`${table}: copied ${got} rows but SQLite has ${expected}; the copy was rolled back, nothing was written`)
    this.name = 'CopyMismatch'
  }
}

/** Tables of ours in `sql` that hold rows (tables not created yet count as empty). */
async function nonEmptyTables(sql: SQL | TransactionSQL, tables: Table[]): Promise<string[]> {
  const found: string[] = []
  for (const t of tables) {
    const [exists]: { r: string | null }[] = await sql`SELECT to_regclass(${`public.${t.name}`})::text AS r`
    if (!exists?.r) continue
    const rows: unknown[] = await sql.unsafe(`SELECT 1 FROM "${t.name}" LIMIT 1`)
    if (rows.length) found.push(t.name)
  }
  return found
}

/** Throws TargetNotEmpty when any of our tables in `sql` holds rows (before anything else is written). */
export async function refuseNonEmpty(sql: SQL | TransactionSQL, tables = tablesInCopyOrder()) {
  const busy = await nonEmptyTables(sql, tables)
  if (busy.length) throw new TargetNotEmpty(busy)
}

export type CopyProgress = (e: { table: string; copied: number; total: number; done: boolean }) => void
export type CopyResult = { tables: Record<string, number>; rows: number; ms: number }

/**
 * Copies `sqlite` (a fully migrated wagate database) into the database behind `sql`, which must hold no rows.
 * The PostgreSQL migrations are applied first; everything else commits at once or not at all.
 */
export async function copySqliteToPg(opts: {
  sqlite: Database
  sql: SQL
  secretKey: Uint8Array
  batchRows?: number
  progress?: CopyProgress
}): Promise<CopyResult> {
  const started = performance.now()
  const { sqlite, sql } = opts
  const tables = tablesInCopyOrder()
  await refuseNonEmpty(sql, tables)
  await migratePg(sql)
  const sqliteTables = new Set(
    sqlite
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name),
  )
  const counts: Record<string, number> = {}
  sqlite.run('BEGIN') // one read snapshot of the source for the whole copy
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`LOCK TABLE ${tables.map((t) => `"${t.name}"`).join(', ')} IN EXCLUSIVE MODE`)
      await refuseNonEmpty(tx, tables)
      for (const t of tables) {
        if (!sqliteTables.has(t.name)) continue // a PostgreSQL-only table (cluster_*, session_leases)
        counts[t.name] = await copyTable(sqlite, tx, t, opts.batchRows, opts.progress)
      }
      for (const t of tables) {
        if (!(t.name in counts)) continue
        const [row]: { n: number }[] = await tx.unsafe(`SELECT count(*)::int AS n FROM "${t.name}"`)
        if (row?.n !== counts[t.name]) throw new CopyMismatch(t.name, counts[t.name]!, row?.n ?? 0)
      }
      await setSequences(sqlite, tx, tables, sqliteTables.has('sqlite_sequence'))
      for (const m of sqlite
        .query<{ name: string; applied_at: number }, []>(
          "SELECT name, applied_at FROM wagate_migrations WHERE name LIKE 'data/%'",
        )
        .all())
        await tx`INSERT INTO wagate_migrations (name, applied_at) VALUES (${m.name}, ${m.applied_at})`
      await claimSecretKey(tx, opts.secretKey)
    })
  } finally {
    sqlite.run('COMMIT')
  }
  const rows = Object.values(counts).reduce((a, b) => a + b, 0)
  return { tables: counts, rows, ms: Math.round(performance.now() - started) }
}

async function copyTable(
  sqlite: Database,
  tx: TransactionSQL,
  t: Table,
  batchRows = 1000,
  progress?: CopyProgress,
): Promise<number> {
  // Columns only PostgreSQL has (events.xid, delivery claims) keep their defaults.
  const inSqlite = new Set(
    sqlite
      .query<{ name: string }, [string]>('SELECT name FROM pragma_table_info(?)')
      .all(t.name)
      .map((r) => r.name),
  )
  const columns = t.columns.filter((c) => inSqlite.has(c.name))
  const names = columns.map((c) => c.name)
  const total = sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM "${t.name}"`).get()?.n ?? 0
  // PostgreSQL takes at most 65,535 parameters per statement.
  const perBatch = Math.max(1, Math.min(batchRows, Math.floor(60_000 / names.length)))
  const convert = (row: Record<string, unknown>) => {
    const out: Record<string, unknown> = {}
    for (const c of columns) {
      const v = row[c.name]
      out[c.name] =
        v === null || v === undefined
          ? null
          : c.kind === 'boolean'
            ? v !== 0 && v !== false
            : c.kind === 'bytes'
              ? Buffer.from(v as Uint8Array)
              : v
    }
    return out
  }
  const select = sqlite.query<Record<string, unknown>, []>(
    `SELECT ${names.map((n) => `"${n}"`).join(', ')} FROM "${t.name}" ORDER BY rowid`,
  )
  let copied = 0
  let batch: Record<string, unknown>[] = []
  const flush = async () => {
    if (!batch.length) return
    await tx`INSERT INTO ${tx(t.name)} ${tx(batch, ...names)}`
    copied += batch.length
    batch = []
    progress?.({ table: t.name, copied, total, done: false })
  }
  for (const row of select.iterate()) {
    batch.push(convert(row))
    if (batch.length >= perBatch) await flush()
  }
  await flush()
  progress?.({ table: t.name, copied, total, done: true })
  return copied
}

/** Each identity column continues after the largest id SQLite used (its sqlite_sequence, or the table's max). */
async function setSequences(sqlite: Database, tx: TransactionSQL, tables: Table[], hasSequences: boolean) {
  const used = new Map(
    hasSequences
      ? sqlite
          .query<{ name: string; seq: number }, []>('SELECT name, seq FROM sqlite_sequence')
          .all()
          .map((r) => [r.name, r.seq])
      : [],
  )
  for (const t of tables)
    for (const c of t.columns.filter((col) => col.identity)) {
      const [row]: { max: number | null }[] = await tx.unsafe(`SELECT max("${c.name}")::float8 AS max FROM "${t.name}"`)
      const last = Math.max(row?.max ?? 0, used.get(t.name) ?? 0)
      await tx`SELECT setval(pg_get_serial_sequence(${t.name}, ${c.name}), ${Math.max(last, 1)}, ${last > 0})`
    }
}
