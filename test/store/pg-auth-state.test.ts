// Baileys' auth state on PostgreSQL: creds and Signal keys round-trip sealed (never plaintext at rest), and a node
// whose lease moved on writes no key.
import { afterAll, beforeAll, beforeEach, expect, it } from 'bun:test'
import { LeaseLost, type LeaseRef } from '../../src/cluster/fencing.ts'
import { createSealer } from '../../src/domain/sealer.ts'
import { createPgAuthStateSql } from '../../src/store/pg/auth-state.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'

let tdb: TestDatabase
let pg: PgDb
let lease: LeaseRef | undefined
const sealer = createSealer(Buffer.alloc(32, 9))
const creds = JSON.stringify({ me: { id: '15550000001:1@s.whatsapp.net' }, noiseKey: 'secret-noise-key' })

beforeAll(async () => {
  tdb = await createTestDatabase()
  pg = openPg(tdb.url, { max: 2 })
  await migratePg(pg.sql)
  await pg.sql`INSERT INTO orgs (id, name) VALUES ('o', 'o')`
})
afterAll(async () => {
  await pg.close()
  await tdb.drop()
})
beforeEach(async () => {
  await pg.sql`TRUNCATE sessions CASCADE`
  await pg.sql`INSERT INTO sessions (id, org_id, name) VALUES ('s', 'o', 's')`
  await pg.sql`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('s', 'n1', 1, 0)`
  lease = { sessionId: 's', nodeId: 'n1', epoch: 1 }
})

const store = () => createPgAuthStateSql(pg.sql, { leaseOf: () => lease, nodeId: 'n1' })

it('round-trips creds and keys sealed, with no plaintext at rest, and deletes a key written as null', async () => {
  const sql = store()
  await sql.write('s', [
    { type: 'creds', id: '', value: sealer.seal(creds, 's/creds/') },
    { type: 'pre-key', id: '7', value: sealer.seal('pre-key-seven', 's/pre-key/7') },
  ])
  expect(sealer.open((await sql.read('s', 'creds', ''))!, 's/creds/').toString()).toBe(creds)
  expect(sealer.open((await sql.read('s', 'pre-key', '7'))!, 's/pre-key/7').toString()).toBe('pre-key-seven')
  const raw: { value: Uint8Array }[] = await pg.sql`SELECT value FROM auth_state`
  for (const r of raw) expect(Buffer.from(r.value).toString('latin1')).not.toMatch(/secret-noise-key|pre-key-seven/)
  await sql.write('s', [{ type: 'pre-key', id: '7', value: null }])
  expect(await sql.read('s', 'pre-key', '7')).toBeNull()
  expect(await sql.count('s')).toBe(1)
})

it('writes no key and wipes nothing once the lease moved to another node', async () => {
  const sql = store()
  await sql.write('s', [{ type: 'session', id: 'bob.0', value: sealer.seal('ratchet-1', 's/session/bob.0') }])
  await pg.sql`UPDATE session_leases SET node_id = 'n2', epoch = 2 WHERE session_id = 's'`
  const step = [{ type: 'session', id: 'bob.0', value: sealer.seal('ratchet-2', 's/session/bob.0') }]
  await expect(sql.write('s', step)).rejects.toBeInstanceOf(LeaseLost)
  await expect(sql.wipe('s')).rejects.toBeInstanceOf(LeaseLost)
  expect(sealer.open((await sql.read('s', 'session', 'bob.0'))!, 's/session/bob.0').toString()).toBe('ratchet-1')
})

it('applies a batch as in order: the last change of a key wins, over more rows than one statement carries', async () => {
  const sql = store()
  const preKeys = Array.from({ length: 2500 }, (_, i) => ({
    type: 'pre-key',
    id: String(i),
    value: new Uint8Array([i % 256, i >> 8]),
  }))
  await sql.write('s', [
    ...preKeys,
    { type: 'session', id: 'bob.0', value: new Uint8Array([1]) },
    { type: 'session', id: 'bob.0', value: new Uint8Array([2]) },
    { type: 'pre-key', id: '5', value: null },
    { type: 'sender-key', id: 'g.1', value: null },
    { type: 'sender-key', id: 'g.1', value: new Uint8Array([3]) },
  ])
  expect(await sql.count('s')).toBe(2500 - 1 + 2)
  expect(await sql.read('s', 'pre-key', '5')).toBeNull()
  expect([...(await sql.read('s', 'pre-key', '2499'))!]).toEqual([2499 % 256, 2499 >> 8])
  expect([...(await sql.read('s', 'session', 'bob.0'))!]).toEqual([2])
  expect([...(await sql.read('s', 'sender-key', 'g.1'))!]).toEqual([3])
  await sql.write('s', [
    { type: 'pre-key', id: '1', value: null },
    { type: 'pre-key', id: '2', value: null },
    { type: 'session', id: 'bob.0', value: null },
  ])
  expect(await sql.count('s')).toBe(2501 - 3)
  expect(await sql.read('s', 'session', 'bob.0')).toBeNull()
})
