// Migrations are embedded, applied once, and a data dir opened again keeps its data.
import { afterAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migrations } from '../../db/migrations/index.ts'
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
