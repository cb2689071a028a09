// The command line's PostgreSQL options, run as processes against a database of their own.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { join } from 'node:path'
import { migrations } from '../db/pg/index.ts'
import { createTestDatabase, type TestDatabase } from './helpers/pg.ts'

let tdb: TestDatabase
beforeAll(async () => {
  tdb = await createTestDatabase()
})
afterAll(async () => {
  await tdb?.drop()
})

function wagate(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, '..', 'src', 'main.ts'), ...args], {
    env: { ...process.env, WAGATE_LOG_LEVEL: 'silent', ...env },
  })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

describe('wagate with a PostgreSQL URL', () => {
  it('migrate --database-url applies the PostgreSQL migrations, then none', () => {
    const first = wagate(['migrate', '--database-url', tdb.url])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.out)).toEqual({ applied: migrations.map((m) => m.name), total: migrations.length })
    const again = wagate(['migrate'], { WAGATE_DATABASE_URL: tdb.url })
    expect(JSON.parse(again.out)).toEqual({ applied: [], total: migrations.length })
  }, 30_000) // two processes, each a few seconds on a loaded two-core host

  it('refuses a URL of another database with a clear message', () => {
    const r = wagate(['migrate', '--database-url', 'mysql://root@127.0.0.1/w'])
    expect(r.code).toBe(2)
    expect(r.err).toContain('databaseUrl: must be a PostgreSQL URL starting with postgres:// or postgresql://')
  })
})
