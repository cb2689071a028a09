// Applies the SQL migrations embedded in the binary (db/migrations), tracking the applied set by name.
import type { Database } from 'bun:sqlite'
import { migrations } from '../../db/migrations/index.ts'

export type MigrationResult = { applied: string[]; total: number }

/** Applies every embedded migration not yet recorded, each in its own transaction. */
export function migrate(sqlite: Database): MigrationResult {
  sqlite.run('CREATE TABLE IF NOT EXISTS wagate_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)')
  const done = new Set(
    sqlite
      .query<{ name: string }, []>('SELECT name FROM wagate_migrations')
      .all()
      .map((r) => r.name),
  )
  const applied: string[] = []
  for (const m of migrations) {
    if (done.has(m.name)) continue
    sqlite.transaction(() => {
      for (const stmt of m.sql.split('--> statement-breakpoint')) {
        if (stmt.trim()) sqlite.run(stmt)
      }
      sqlite.run('INSERT INTO wagate_migrations (name, applied_at) VALUES (?, ?)', [m.name, Date.now()])
    })()
    applied.push(m.name)
  }
  return { applied, total: migrations.length }
}

/** True when every embedded migration has been applied (used by /readyz). */
export function migrationsApplied(sqlite: Database): boolean {
  const row = sqlite
    .query<{ n: number }, []>("SELECT count(*) AS n FROM wagate_migrations WHERE name NOT LIKE 'data/%'")
    .get()
  return (row?.n ?? 0) >= migrations.length
}
