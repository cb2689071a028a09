// The data directory: created private (0700, files 0600), and owned by one `serve` at a time.
//
// The lock is an OS lock, not a pid file: `serve` opens `serve.lock` as a SQLite database and keeps an
// exclusive transaction open for its whole life. SQLite takes it with fcntl() byte-range locks, which the
// kernel drops when the process ends in any way (SIGKILL included), so a lock is never stale, a reused pid
// cannot keep it, and two processes starting together cannot both win. `serve.pid` only tells the loser
// whom it lost to. CLI commands (keys, orgs, migrate) take no lock: SQLite's own locking covers their writes.
import { Database } from 'bun:sqlite'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const DIR_MODE = 0o700
export const FILE_MODE = 0o600

/** Files of ours that hold data: an older wagate created them with the umask's mode; they are tightened. */
const privateFiles = ['wagate.db', 'wagate.db-wal', 'wagate.db-shm', 'secret.key', 'serve.lock', 'serve.pid']

/**
 * Creates `dir` 0700 when missing and tightens our files in it to 0600. The directory itself is left as the
 * operator made it (it may be shared on purpose), with a warning when others can read or enter it.
 */
export function prepareDataDir(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: DIR_MODE })
  for (const name of privateFiles) {
    const path = join(dir, name)
    if (existsSync(path) && statSync(path).mode & 0o077) chmodSync(path, FILE_MODE)
  }
  const warnings: string[] = []
  const mode = statSync(dir).mode & 0o777
  if (mode & 0o077)
    warnings.push(
      `data dir ${dir} has mode ${mode.toString(8).padStart(4, '0')}: other users may read stored messages; ` +
        `run chmod 700 ${JSON.stringify(dir)}`,
    )
  return warnings
}

/**
 * Creates `path` empty with mode 0600 when missing, so SQLite (which gives its -wal and -shm files the
 * database's mode) never creates it with the umask's wider default.
 */
export function createPrivateFile(path: string): void {
  try {
    writeFileSync(path, '', { mode: FILE_MODE, flag: 'wx' })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
  }
}

export class DataDirLocked extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number | null,
  ) {
    super(
      `data dir ${dir} is in use by another wagate serve (${pid ? `pid ${pid}` : 'pid unknown'}); ` +
        'stop that process first, or give this one its own --data-dir',
    )
    this.name = 'DataDirLocked'
  }
}

const isBusy = (e: unknown) => /SQLITE_BUSY|database is locked/i.test(`${(e as { code?: string }).code} ${e}`)

function holderPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim())
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

export type DataDirLock = { release(): void }

/** Takes the data dir for this process, or throws DataDirLocked naming the pid that holds it. */
export function lockDataDir(dir: string): DataDirLock {
  const lockFile = join(dir, 'serve.lock')
  const pidFile = join(dir, 'serve.pid')
  createPrivateFile(lockFile)
  const db = new Database(lockFile)
  try {
    db.run('PRAGMA busy_timeout = 0')
    db.run('BEGIN EXCLUSIVE')
  } catch (e) {
    db.close()
    if (isBusy(e)) throw new DataDirLocked(dir, holderPid(pidFile))
    throw e
  }
  writeFileSync(pidFile, `${process.pid}\n`, { mode: FILE_MODE })
  chmodSync(pidFile, FILE_MODE)
  let held = true
  return {
    release() {
      if (!held) return
      held = false
      db.run('ROLLBACK')
      db.close()
    },
  }
}
