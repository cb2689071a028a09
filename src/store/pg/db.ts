// Opens a PostgreSQL database with Bun's built-in client (Bun.SQL: a native pool, no dependency) and drizzle's
// bun-sql dialect on top, and applies the migrations embedded in the binary (db/pg).
import { SQL } from 'bun'
import { drizzle, type BunSQLDatabase } from 'drizzle-orm/bun-sql'
import { migrations } from '../../../db/pg/index.ts'
import * as schema from './schema.ts'

export type PgOrm = BunSQLDatabase<typeof schema>
export type PgDb = { sql: SQL; orm: PgOrm; close(): Promise<void> }

/** True for the URLs --database-url accepts. */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url)

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}

/**
 * A pool on `url` (postgres:// or postgresql://); `max` connections (default 10). `idleInTransactionMs`: the server
 * ends a connection whose transaction waits longer than this for its client (a paused or cut-off process), so its
 * row locks do not outlive the process's right to hold them.
 */
export function openPg(url: string, opts: { max?: number; idleInTransactionMs?: number } = {}): PgDb {
  const connection = opts.idleInTransactionMs
    ? { connection: { idle_in_transaction_session_timeout: String(opts.idleInTransactionMs) } }
    : {}
  const sql = new SQL({ url, max: opts.max ?? 10, idleTimeout: 30, connectionTimeout: 10, ...connection })
  return { sql, orm: drizzle({ client: sql, schema }), close: () => sql.close() }
}

export type PgMigrationResult = { applied: string[]; total: number }

/** Key of the advisory lock that serialises migrations when several nodes start at once. */
const MIGRATION_LOCK = 0x77616761 // "waga"

/** Applies every embedded migration not yet recorded, each in its own transaction, one node at a time. */
export async function migratePg(sql: SQL): Promise<PgMigrationResult> {
  await sql`CREATE TABLE IF NOT EXISTS wagate_migrations (name text PRIMARY KEY, applied_at bigint NOT NULL)`
  const applied: string[] = []
  for (const m of migrations) {
    const done = await sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`
      const [row] = await tx`SELECT 1 AS one FROM wagate_migrations WHERE name = ${m.name}`
      if (row) return false
      for (const stmt of m.sql.split('--> statement-breakpoint')) if (stmt.trim()) await tx.unsafe(stmt)
      await tx`INSERT INTO wagate_migrations (name, applied_at) VALUES (${m.name}, ${Date.now()})`
      return true
    })
    if (done) applied.push(m.name)
  }
  return { applied, total: migrations.length }
}
