// An online, consistent copy of the database, safe while `serve` runs: SQLite's VACUUM INTO reads one
// snapshot inside a read transaction, so writers go on and the copy is what one instant held. The copy is
// written beside its target under a temporary name, checked, and renamed, so a target either holds a whole
// verified backup or does not exist.
import { Database } from 'bun:sqlite'
import { existsSync, renameSync, rmSync, statSync } from 'node:fs'
import { createPrivateFile } from './data-dir.ts'

export class BackupError extends Error {
  override name = 'BackupError'
}

export type BackupResult = { out: string; bytes: number; ms: number; tables: number }

/** Copies the database at `dbFile` into `out` (which must not exist yet), verified with SQLite's quick_check. */
export function backupDatabase(dbFile: string, out: string, now: () => number = Date.now): BackupResult {
  if (!existsSync(dbFile) || statSync(dbFile).size === 0)
    throw new BackupError(`no database at ${dbFile} (is --data-dir right?)`)
  if (existsSync(out)) throw new BackupError(`${out} already exists; choose another --out or remove it first`)
  const started = now()
  const partial = `${out}.partial-${process.pid}`
  // The copy is private from its first byte: VACUUM INTO fills an existing empty file without changing its mode.
  createPrivateFile(partial)
  try {
    const source = new Database(dbFile, { strict: true })
    try {
      source.run('PRAGMA busy_timeout = 10000')
      source.run('VACUUM INTO ?', [partial])
    } finally {
      source.close()
    }
    const tables = verify(partial)
    renameSync(partial, out)
    return { out, bytes: statSync(out).size, ms: now() - started, tables }
  } catch (e) {
    rmSync(partial, { force: true })
    if (e instanceof BackupError) throw e
    throw new BackupError(`backup failed: ${(e as Error).message}`)
  }
}

/** Opens the copy on its own and checks it; returns how many tables it holds. */
function verify(path: string): number {
  const copy = new Database(path, { readonly: true, strict: true })
  try {
    const check = copy.query<{ quick_check: string }, []>('PRAGMA quick_check').all()
    if (check.length !== 1 || check[0]!.quick_check !== 'ok')
      throw new BackupError(`the copy failed its integrity check: ${check.map((r) => r.quick_check).join('; ')}`)
    return copy.query<{ n: number }, []>("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()!.n
  } finally {
    copy.close()
  }
}
