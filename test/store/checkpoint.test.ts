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

it('keeps the WAL bounded under writes that never pause for a checkpoint to finish', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-ckpt-'))
  const path = join(dir, 'w.db')
  const db = openDb(path, { checkpoint: 'background', walRestartFrames: 256, walCheckpointMs: 100 })
  const insert = db.sqlite.query('INSERT INTO orgs (id, name) VALUES (?, ?)')
  const walBytes = () => statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0
  let largest = 0
  // 6,000 commits of a 3 KB row (about 12,000 frames, 48 MB of WAL if it never rewinds), 20 at a time.
  for (let i = 0; i < 6000; i++) {
    db.sqlite.transaction(() => insert.run(`org${i}`, 'x'.repeat(3000)))()
    if (i % 20 === 19) {
      largest = Math.max(largest, walBytes())
      await Bun.sleep(5)
    }
  }
  await db.close()
  rmSync(dir, { recursive: true, force: true })
  // Rewound at 256 frames (1 MB), checked every 100 ms: a few MB at most.
  expect(largest).toBeLessThan(12 * 2 ** 20)
})
