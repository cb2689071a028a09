// The secret key's fingerprint in PostgreSQL: recorded by the first node, matched by the next, and a node with
// another key refused before it writes anything.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { randomBytes } from 'node:crypto'
import { joinCluster } from '../../src/cluster/join.ts'
import type { LeaseManager } from '../../src/cluster/leases.ts'
import { claimSecretKey, SecretKeyMismatch, secretKeyFingerprint } from '../../src/cluster/secret-key.ts'
import { migratePg } from '../../src/store/pg/db.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'

const key = randomBytes(32)
const otherKey = randomBytes(32)
const hooks = { onAcquired() {}, onRelease() {}, onLost() {} }
const timings = { ttlMs: 6000, renewEveryMs: 1000, renewDeadlineMs: 3000 }

let tdb: TestDatabase
let sql: SQL
const managers: LeaseManager[] = []

beforeAll(async () => {
  tdb = await createTestDatabase()
  sql = new SQL({ url: tdb.url, max: 2 })
  await migratePg(sql)
  await sql`INSERT INTO orgs (id, name) VALUES ('acme', 'Acme')`
  for (const id of ['s1', 's2'])
    await sql`INSERT INTO sessions (id, org_id, name, desired_state) VALUES (${id}, 'acme', ${id}, 'running')`
})
afterAll(async () => {
  for (const m of managers) await m.stop()
  await sql.close()
  await tdb.drop()
})

const snapshot = async () => ({
  meta: await sql`SELECT key, value FROM cluster_meta ORDER BY key`,
  nodes: await sql`SELECT id, heartbeat_at::text FROM cluster_nodes ORDER BY id`,
  leases: await sql`SELECT session_id, node_id, epoch::int, expires_at::text FROM session_leases ORDER BY session_id`,
})

describe('secret key fingerprint', () => {
  it('is an HMAC of the key: stable, different per key, never the key itself', () => {
    expect(secretKeyFingerprint(key)).toBe(secretKeyFingerprint(Buffer.from(key)))
    expect(secretKeyFingerprint(key)).not.toBe(secretKeyFingerprint(otherKey))
    expect(secretKeyFingerprint(key)).toMatch(/^v1:[0-9a-f]{64}$/)
    expect(secretKeyFingerprint(key)).not.toContain(key.toString('hex'))
  })

  it('the first node records it, a node with the same key is let in', async () => {
    const first = await joinCluster(sql, { secretKey: key, nodeId: 'n1', hooks, timings })
    managers.push(first)
    expect(await sql`SELECT key, value FROM cluster_meta`).toEqual([
      { key: 'secret_key_fingerprint', value: secretKeyFingerprint(key) },
    ])
    expect(await claimSecretKey(sql, Buffer.from(key))).toBe('matched')
    expect(
      first
        .held()
        .map((l) => l.sessionId)
        .sort(),
    ).toEqual(['s1', 's2'])
  })

  it('a node with another key is refused with a clear error and writes nothing', async () => {
    await managers[0]!.stop() // no ticks change the rows while we compare
    const before = await snapshot()
    const error = await joinCluster(sql, { secretKey: otherKey, nodeId: 'intruder', hooks, timings }).catch((e) => e)
    expect(error).toBeInstanceOf(SecretKeyMismatch)
    expect((error as Error).message).toContain(
      "this node's secret key differs from the one the database was set up with",
    )
    expect(await snapshot()).toEqual(before)
    expect((await sql`SELECT id FROM cluster_nodes WHERE id = 'intruder'`).length).toBe(0)
  })
})
