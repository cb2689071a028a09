// Opens the SQLite database: pragmas for a long-lived server, migrations applied, drizzle on top.
//
// Every statement prepared on this connection has its parameters written `+?` (planOnce). When SQLite's planner
// looks at a bound parameter's value while planning — a `LIMIT ?`, a `col = ?` ahead of an ORDER BY or min() the
// index serves, a partial index's WHERE — it marks the statement to be prepared again whenever that parameter is
// bound, so a statement prepared once was planned anew on every run: up to 68 µs a run for a page of chats, 36 for
// a page of messages, 23 for the webhook claim (`bun scripts/bench/sql-reprepare.ts` measures it statement by
// statement). Bun's SQLite offers no way to turn that off (SQLITE_DBCONFIG_ENABLE_QPSG). The unary plus leaves the
// value and every comparison as they were and gives the planner no parameter to look at; our partial indexes'
// conditions are literals in the statements that use them (`status = 'pending'`, `jid IS NOT NULL`), not bound
// values, so no plan depends on a parameter's value.
import { Database } from 'bun:sqlite'
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type { CheckpointerStart } from './checkpointer.ts'
import { createPrivateFile, DIR_MODE } from './data-dir.ts'
import { migrate } from './migrate.ts'
import * as schema from './schema.ts'

export type Orm = BunSQLiteDatabase<typeof schema>
/** `close()` returns a promise only for a `background` database: await it so the WAL is folded back. */
export type Db = { sqlite: Database; orm: Orm; close(): void | Promise<void> }

export type OpenOptions = {
  /**
   * `background` (the server): no automatic checkpoint in commits; a worker checkpoints every second and
   * close() truncates the WAL. `auto` (CLI commands, tests): SQLite's own checkpoint every 1,000 pages.
   */
  checkpoint?: 'auto' | 'background'
  /** `background`: WAL frames (pages) after which the worker rewinds the WAL (default 4,096, 16 MB of 4 KB pages). */
  walRestartFrames?: number
  /** `background`: ms between checkpoints (default 1,000). */
  walCheckpointMs?: number
  /** SQLite's page cache in MiB (default `PAGE_CACHE_MB`; 0: SQLite's default 2 MiB). */
  cacheMb?: number
}

/** A parameter (group 1: its number), or what is left as it is: a string, a quoted name, a comment. */
const PARAMETER = /'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|\/\*[\s\S]*?\*\/|(?<![+\w])\?(\d*)/g
const planned = new Map<string, string>()

/** `sql` with each `?` / `?N` outside strings and comments written `+?` / `+?N`: planned once (see the top). */
export function planOnce(sql: string): string {
  let out = planned.get(sql)
  if (out === undefined) {
    out = sql.replace(PARAMETER, (m, n: string | undefined) => (n === undefined ? m : `+?${n}`))
    if (planned.size >= 4096) planned.clear()
    planned.set(sql, out)
  }
  return out
}

/** Routes the connection's `query` and `prepare` (ours and drizzle's) through planOnce. */
function planEveryStatementOnce(sqlite: Database): void {
  const query = sqlite.query.bind(sqlite)
  const prepare = sqlite.prepare.bind(sqlite)
  sqlite.query = ((sql: string) => query(planOnce(sql))) as Database['query']
  sqlite.prepare = ((sql: string, ...rest: unknown[]) =>
    (prepare as (s: string, ...r: unknown[]) => unknown)(planOnce(sql), ...rest)) as Database['prepare']
}

/**
 * SQLite's page cache for the store's connection, by default (`--sqlite-cache-mb`). SQLite's own is 2 MiB, a few
 * hundred pages: a page of a listing in a store of a million messages then reads most of its B-tree pages back from
 * the OS with a syscall and a copy each (about a third of the statement's time: 2 MiB against 64 MiB over the read
 * bench's seed). The cache fills only with pages read or written, up to this.
 */
export const PAGE_CACHE_MB = 64
/** The pragma that sets a page cache of `mb` MiB (0: SQLite's default), for the store and the raw read ceiling. */
export const pageCachePragma = (mb = PAGE_CACHE_MB) => `PRAGMA cache_size = ${mb > 0 ? -mb * 1024 : -2000}`

/** Opens (creating if needed) and migrates the database at `path`; `:memory:` for tests. */
export function openDb(path: string, opts: OpenOptions = {}): Db {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true, mode: DIR_MODE })
    createPrivateFile(path)
  }
  const sqlite = new Database(path, { create: true, strict: true })
  planEveryStatementOnce(sqlite)
  sqlite.run('PRAGMA journal_mode = WAL')
  sqlite.run('PRAGMA synchronous = NORMAL')
  sqlite.run('PRAGMA busy_timeout = 5000')
  sqlite.run('PRAGMA foreign_keys = ON')
  sqlite.run(pageCachePragma(opts.cacheMb))
  migrate(sqlite)
  const orm = drizzle({ client: sqlite, schema })
  if (opts.checkpoint !== 'background' || path === ':memory:') return { sqlite, orm, close: () => sqlite.close() }

  sqlite.run('PRAGMA wal_autocheckpoint = 0')
  // In the compiled binary the worker is an extra entry point laid out under the bundle root (scripts/build.ts);
  // from source it sits next to this file.
  const compiled = import.meta.url.startsWith('file:///$bunfs/')
  const worker = new Worker(new URL(compiled ? './store/checkpointer.ts' : './checkpointer.ts', import.meta.url).href)
  worker.onerror = (e) => console.error(`wagate: WAL checkpointer failed: ${e.message}`)
  const start: CheckpointerStart = {
    path,
    intervalMs: opts.walCheckpointMs ?? 1000,
    restartFrames: opts.walRestartFrames ?? 4096,
  }
  worker.postMessage(start)
  worker.unref()
  return {
    sqlite,
    orm,
    async close() {
      // The worker closes its connection first, so this, the last one, can fold the WAL back and truncate it.
      const stopped = new Promise<void>((resolve) => {
        worker.onmessage = (e: MessageEvent<{ stopped?: boolean }>) => e.data.stopped && resolve()
        setTimeout(resolve, 2000).unref()
      })
      worker.postMessage('stop')
      await stopped
      worker.terminate()
      try {
        sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
      } catch {
        // A reader elsewhere holds the WAL: the next open checkpoints instead.
      }
      sqlite.close()
    },
  }
}
