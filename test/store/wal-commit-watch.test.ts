// The auth epoch is read again only after a commit; whether one happened comes from the WAL-index header in the
// database's -shm file. A commit that goes unseen would let a revoked key through, so each way a commit can arrive
// is checked here: this connection, another connection, another process, and a checkpoint that resets the WAL.
import { Database } from 'bun:sqlite'
import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { walCommitWatch } from '../../src/store/auth-epoch.ts'
import { openDb, type Db } from '../../src/store/db.ts'

describe('walCommitWatch', () => {
  let dir: string
  let file: string
  let db: Db
  let watch: NonNullable<ReturnType<typeof walCommitWatch>>
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wagate-wal-watch-'))
    file = join(dir, 'wagate.db')
    db = openDb(file)
    db.sqlite.run('CREATE TABLE t (x INTEGER)')
    watch = walCommitWatch(file)!
  })
  afterEach(async () => {
    await db.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('is unavailable for an in-memory database', () => {
    expect(walCommitWatch(':memory:')).toBeNull()
  })

  it('is unavailable when the file has no -shm', () => {
    expect(walCommitWatch(join(dir, 'absent.db'))).toBeNull()
  })

  it('reports a change until a header is marked', () => {
    expect(watch.unchanged()).toBe(false)
  })

  it('reports no change after reads alone', () => {
    watch.mark()
    db.sqlite.query('SELECT count(*) FROM t').get()
    expect(watch.unchanged()).toBe(true)
  })

  it("sees this connection's commit", () => {
    watch.mark()
    db.sqlite.run('INSERT INTO t VALUES (1)')
    expect(watch.unchanged()).toBe(false)
  })

  it("sees another connection's commit", () => {
    watch.mark()
    const other = new Database(file)
    other.run('INSERT INTO t VALUES (1)')
    other.close()
    expect(watch.unchanged()).toBe(false)
  })

  it("sees another process's commit", () => {
    watch.mark()
    const script = `new (require('bun:sqlite').Database)(${JSON.stringify(file)}).run('INSERT INTO t VALUES (1)')`
    const r = Bun.spawnSync([process.execPath, '-e', script])
    expect(r.exitCode).toBe(0)
    expect(watch.unchanged()).toBe(false)
  })

  it('sees a checkpoint that resets the WAL', () => {
    db.sqlite.run('INSERT INTO t VALUES (1)')
    watch.mark()
    db.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
    expect(watch.unchanged()).toBe(false)
  })

  it('holds again once marked after a change', () => {
    watch.mark()
    db.sqlite.run('INSERT INTO t VALUES (1)')
    watch.mark()
    expect(watch.unchanged()).toBe(true)
  })
})
