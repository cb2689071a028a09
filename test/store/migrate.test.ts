// Migrations are embedded, applied once, and a data dir opened again keeps its data.
import { afterAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrations } from '../../db/migrations/index.ts'
import { loadConfig, parseFlags } from '../../src/config.ts'
import { openData } from '../../src/server.ts'
import { openDb } from '../../src/store/db.ts'
import { migrate, migrationsApplied } from '../../src/store/migrate.ts'

const dir = mkdtempSync(join(tmpdir(), 'wagate-migrate-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('applies every embedded migration to a fresh data dir', () => {
  const db = openDb(join(dir, 'a.db'))
  expect(migrationsApplied(db.sqlite)).toBe(true)
  const names = db.sqlite.query<{ name: string }, []>('SELECT name FROM wagate_migrations ORDER BY name').all()
  expect(names.map((n) => n.name)).toEqual(migrations.map((m) => m.name))
  db.close()
})

it('applies nothing twice to an existing data dir and keeps its data', () => {
  const first = openDb(join(dir, 'b.db'))
  first.sqlite.run("INSERT INTO orgs (id, name) VALUES ('kept', 'Kept')")
  first.close()
  const again = openDb(join(dir, 'b.db'))
  expect(migrate(again.sqlite).applied).toEqual([])
  expect(again.sqlite.query('SELECT id FROM orgs').all()).toEqual([{ id: 'kept' }])
  again.close()
})

it('opens the database with WAL, foreign keys and a busy timeout', () => {
  const db = openDb(join(dir, 'c.db'))
  expect(db.sqlite.query<{ journal_mode: string }, []>('PRAGMA journal_mode').get()!.journal_mode).toBe('wal')
  expect(db.sqlite.query<{ foreign_keys: number }, []>('PRAGMA foreign_keys').get()!.foreign_keys).toBe(1)
  expect(db.sqlite.query<{ timeout: number }, []>('PRAGMA busy_timeout').get()!.timeout).toBeGreaterThan(0)
  db.close()
})

it("opens the database with a 64 MiB page cache, or the size asked for (0: SQLite's 2 MiB)", () => {
  const cacheOf = (cacheMb?: number) => {
    const db = openDb(join(dir, 'c.db'), cacheMb === undefined ? {} : { cacheMb })
    const kib = db.sqlite.query<{ cache_size: number }, []>('PRAGMA cache_size').get()!.cache_size
    db.close()
    return kib
  }
  expect([cacheOf(), cacheOf(8), cacheOf(0)]).toEqual([-65536, -8192, -2000])
})

it('the server opens the store with the page cache --sqlite-cache-mb asks for', () => {
  const { db } = openData(loadConfig(parseFlags(['--data-dir', join(dir, 'served'), '--sqlite-cache-mb', '16']), {}))
  expect(db.sqlite.query<{ cache_size: number }, []>('PRAGMA cache_size').get()!.cache_size).toBe(-16384)
  db.close()
})

it('0010 clears the "UNKNOWN" body stored for messages without text, and keeps texts and captions', () => {
  const db = openDb(join(dir, 'c.db'))
  db.sqlite.run("INSERT INTO orgs (id, name) VALUES ('o', 'O')")
  db.sqlite.run("INSERT INTO sessions (id, org_id, name) VALUES ('s', 'o', 'main')")
  const add = db.sqlite.query(
    "INSERT INTO messages (session_id, chat_jid, wa_id, from_me, type, body, status, ack_level, timestamp) VALUES ('s', 'c', ?, 0, ?, ?, 'delivered', 3, 0)",
  )
  for (const [id, type, body] of [
    ['voice', 'audio', 'UNKNOWN'],
    ['sticker', 'sticker', 'UNKNOWN'],
    ['photo', 'image', 'a caption'],
    ['said', 'text', 'UNKNOWN'],
    ['stub', 'system', 'UNKNOWN'],
  ])
    add.run(id!, type!, body!)
  // As a data dir from before 0010: the migration not yet recorded.
  db.sqlite.run("DELETE FROM wagate_migrations WHERE name = '0010_media_without_body'")
  expect(migrate(db.sqlite).applied).toEqual(['0010_media_without_body'])
  expect(db.sqlite.query('SELECT wa_id, body FROM messages ORDER BY pk').all()).toEqual([
    { wa_id: 'voice', body: null },
    { wa_id: 'sticker', body: null },
    { wa_id: 'photo', body: 'a caption' },
    { wa_id: 'said', body: 'UNKNOWN' },
    { wa_id: 'stub', body: 'UNKNOWN' },
  ])
  db.close()
})

it('0011 counts the operations each session already has queued', () => {
  const db = openDb(join(dir, 'd.db'))
  db.sqlite.run("INSERT INTO orgs (id, name) VALUES ('o', 'O')")
  db.sqlite.run(
    "INSERT INTO sessions (id, org_id, name) VALUES ('s1', 'o', 'one'), ('s2', 'o', 'two'), ('s3', 'o', 'idle')",
  )
  // As a data dir from before 0011: no size table, no triggers, the migration not yet recorded.
  db.sqlite.run('DROP TRIGGER outbound_queue_sizes_insert')
  db.sqlite.run('DROP TRIGGER outbound_queue_sizes_delete')
  db.sqlite.run('DROP TABLE outbound_queue_sizes')
  db.sqlite.run("DELETE FROM wagate_migrations WHERE name = '0011_queue_sizes'")
  const queue = db.sqlite.query(
    "INSERT INTO outbound_queue (session_id, chat_jid, wa_id, content, created_at) VALUES (?, 'c', ?, '{}', 0)",
  )
  for (const [sid, id] of [
    ['s1', 'a'],
    ['s2', 'b'],
    ['s1', 'c'],
    ['s1', 'd'],
  ])
    queue.run(sid!, id!)
  expect(migrate(db.sqlite).applied).toEqual(['0011_queue_sizes'])
  const sizes = () => db.sqlite.query('SELECT session_id, n FROM outbound_queue_sizes ORDER BY session_id').all()
  expect(sizes()).toEqual([
    { session_id: 's1', n: 3 },
    { session_id: 's2', n: 1 },
  ])
  queue.run('s2', 'e')
  expect(sizes()).toEqual([
    { session_id: 's1', n: 3 },
    { session_id: 's2', n: 2 },
  ])
  db.close()
})
