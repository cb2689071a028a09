// Opens the SQLite database: pragmas for a long-lived server, migrations applied, drizzle on top.
import { Database } from 'bun:sqlite'
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrate.ts'
import * as schema from './schema.ts'

export type Orm = BunSQLiteDatabase<typeof schema>
export type Db = { sqlite: Database; orm: Orm; close(): void }

/** Opens (creating if needed) and migrates the database at `path`; `:memory:` for tests. */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path, { create: true, strict: true })
  sqlite.run('PRAGMA journal_mode = WAL')
  sqlite.run('PRAGMA synchronous = NORMAL')
  sqlite.run('PRAGMA busy_timeout = 5000')
  sqlite.run('PRAGMA foreign_keys = ON')
  migrate(sqlite)
  const orm = drizzle({ client: sqlite, schema })
  return { sqlite, orm, close: () => sqlite.close() }
}
