// The server's database checkpoints its WAL from a worker, not inside ingest commits.
import { expect, it } from 'bun:test'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openDb } from '../../src/store/db.ts'
import { waitFor } from '../e2e/sessions-harness.ts'

it('moves committed pages into the database file in the background, and truncates the WAL on close', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-ckpt-'))
  const path = join(dir, 'w.db')
  const db = openDb(path, { checkpoint: 'background' })
  expect(
    db.sqlite.query<{ wal_autocheckpoint: number }, []>('PRAGMA wal_autocheckpoint').get()!.wal_autocheckpoint,
  ).toBe(0)
  const initial = statSync(path).size
  const insert = db.sqlite.query('INSERT INTO orgs (id, name) VALUES (?, ?)')
  for (let i = 0; i < 2000; i++) db.sqlite.transaction(() => insert.run(`org${i}`, 'x'.repeat(1000)))()
  await waitFor('a background checkpoint', () => statSync(path).size > initial + 1_000_000, 5_000)
  await db.close()
  expect(statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0)
  rmSync(dir, { recursive: true, force: true })
})
