// Session leases on a real PostgreSQL: fair shares, takeover after expiry with a higher fencing epoch, stale
// writes fenced off, graceful handover to a joining node, drain on stop. Each test has a database of its own.
import { afterEach, beforeEach, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { fenced, LeaseLost, type LeaseRef } from '../../src/cluster/fencing.ts'
import { LeaseManager, type Lease, type LeaseTimings, type LostReason } from '../../src/cluster/leases.ts'
import { migratePg, openPg } from '../../src/store/pg/db.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'

const SESSIONS = 30
/** Long enough that the deadline-before-expiry margin (4 s) holds on a loaded machine. */
const timings: LeaseTimings = { ttlMs: 6000, renewEveryMs: 300, renewDeadlineMs: 2000 }

let tdb: TestDatabase
let admin: SQL
const pools: SQL[] = []
const managers: LeaseManager[] = []

beforeEach(async () => {
  tdb = await createTestDatabase()
  admin = new SQL({ url: tdb.url, max: 2 })
  await migratePg(admin)
  await admin`INSERT INTO orgs (id, name) VALUES ('acme', 'Acme')`
  for (let i = 0; i < SESSIONS; i++)
    await admin`INSERT INTO sessions (id, org_id, name, desired_state) VALUES (${`s${String(i).padStart(2, '0')}`}, 'acme', ${`n${i}`}, 'running')`
})

afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop().catch(() => {})
  for (const p of pools.splice(0)) await p.close().catch(() => {})
  await admin.close()
  await tdb.drop()
})

/** Which node runs each session's socket, as the hooks tell it; a second owner is recorded as a violation. */
const running = new Map<string, string>()
const violations: string[] = []
beforeEach(() => {
  running.clear()
  violations.length = 0
  started.clear()
})

type Node = { m: LeaseManager; sql: SQL; released: Lease[]; lost: (Lease & { reason: LostReason; at: number })[] }

function node(id: string): Node {
  const sql = new SQL({ url: tdb.url, max: 2 })
  pools.push(sql)
  const n: Node = { sql, released: [], lost: [], m: undefined as unknown as LeaseManager }
  n.m = new LeaseManager(
    sql,
    id,
    {
      onAcquired: (l) => {
        const other = running.get(l.sessionId)
        if (other) violations.push(`${l.sessionId} acquired by ${id} while running on ${other}`)
        running.set(l.sessionId, id)
      },
      onRelease: (l) => {
        n.released.push(l)
        running.delete(l.sessionId)
      },
      onLost: (l, reason) => {
        n.lost.push({ ...l, reason, at: Date.now() })
        if (running.get(l.sessionId) === id) running.delete(l.sessionId)
      },
    },
    timings,
  )
  managers.push(n.m)
  return n
}

/** Starts the nodes not yet started and waits until every session is held and none is above the fair share. */
async function converge(nodes: Node[]) {
  for (const n of nodes) {
    if (started.has(n)) continue
    started.add(n)
    await n.m.start()
  }
  const fair = Math.ceil(SESSIONS / nodes.length)
  await waitFor(
    'the sessions to be shared fairly',
    () => {
      const sizes = nodes.map((n) => n.m.held().length)
      return sizes.reduce((a, b) => a + b, 0) === SESSIONS && sizes.every((s) => s <= fair)
    },
    30_000,
  )
}
const started = new Set<Node>()

/** One node on a pool of its own with timings `t`, recording why it lost leases. */
function soloNode(t: LeaseTimings) {
  const sql = new SQL({ url: tdb.url, max: 2 })
  pools.push(sql)
  const lost: LostReason[] = []
  const hooks = { onAcquired: () => {}, onRelease: () => {}, onLost: (_: Lease, r: LostReason) => void lost.push(r) }
  const m = new LeaseManager(sql, 'solo', hooks, t)
  managers.push(m)
  return { m, lost }
}

/**
 * Locks s00's lease row FOR UPDATE on a connection of its own, so `m`'s renewals (an UPDATE of its rows) wait until
 * release(). `renewedAt`: when `m` sent its last renewal that came back, on performance.now()'s clock.
 */
async function lockLeaseRow(m: LeaseManager) {
  const locker = new SQL({ url: tdb.url, max: 1 })
  pools.push(locker)
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let locked!: () => void
  const taken = new Promise<void>((resolve) => (locked = resolve))
  const tx = locker.begin(async (tx) => {
    await tx`SELECT 1 AS one FROM session_leases WHERE session_id = 's00' FOR UPDATE`
    locked()
    await released
  })
  await taken
  await Bun.sleep(50) // a renewal that got in before the lock is read by now
  const renewedAt = performance.now() - m.sinceRenewalMs()
  return {
    renewedAt,
    release: async () => {
      release()
      await tx
    },
  }
}

const leaseRows = async () =>
  (await admin`SELECT session_id, node_id, epoch::int AS epoch, expires_at::float8 AS expires_at FROM session_leases ORDER BY session_id`) as {
    session_id: string
    node_id: string | null
    epoch: number
    expires_at: number
  }[]

const eventCount = async () => ((await admin`SELECT count(*)::int AS n FROM events`) as { n: number }[])[0]!.n

const writeEvent = (sql: SQL, ref: LeaseRef, id: string) =>
  fenced(
    sql,
    ref,
    (tx) => tx`INSERT INTO events (id, org_id, session_id, type, created_at, data)
    VALUES (${id}, 'acme', ${ref.sessionId}, 'test.write', 1, '{}')`,
  )

describe('session leases', () => {
  it('three nodes share 30 sessions fairly, each session on exactly one node', async () => {
    const nodes = ['a', 'b', 'c'].map(node)
    await converge(nodes)
    const rows = await leaseRows()
    expect(rows.every((r) => r.node_id !== null)).toBe(true)
    for (const n of nodes) {
      expect(n.m.held().length).toBeLessThanOrEqual(Math.ceil(SESSIONS / 3) + 1)
      expect(rows.filter((r) => r.node_id === n.m.nodeId).map((r) => r.session_id)).toEqual(
        n.m
          .held()
          .map((l) => l.sessionId)
          .sort(),
      )
    }
    expect(running.size).toBe(SESSIONS)
    expect(violations).toEqual([])
  })

  it('a node that cannot renew stops its sessions before expiry; the others take them at the next epoch', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map(node) as [Node, Node, Node]
    await converge([a, b, c])
    const cHeld = c.m.held()
    await c.sql.close() // its network to the database is gone: every renewal fails from now on
    const expiry = new Map((await leaseRows()).map((r) => [r.session_id, r.expires_at]))
    await waitFor('c to stop its sessions', () => c.lost.length === cHeld.length, 20_000)
    expect(c.m.stats.renewFailures).toBeGreaterThan(0)
    expect(c.lost.every((l) => l.reason === 'renew_deadline')).toBe(true)
    for (const l of c.lost) expect(l.at).toBeLessThan(expiry.get(l.sessionId)!)

    await waitFor('a and b to take every session', () => a.m.held().length + b.m.held().length === SESSIONS, 30_000)
    const after = new Map((await leaseRows()).map((r) => [r.session_id, r]))
    for (const l of cHeld) {
      expect(['a', 'b']).toContain(after.get(l.sessionId)!.node_id!)
      expect(after.get(l.sessionId)!.epoch).toBe(l.epoch + 1)
    }
    expect(violations).toEqual([])
  }, 90_000)

  it("a stale node's fenced write affects no row; the new owner's write commits", async () => {
    const [a, b, c] = ['a', 'b', 'c'].map(node) as [Node, Node, Node]
    await converge([a, b, c])
    const stale = c.m.ref(c.m.held()[0]!.sessionId)!
    await c.sql.close() // c is cut off (paused, partitioned) past its lease
    await waitFor('a and b to take every session', () => a.m.held().length + b.m.held().length === SESSIONS, 30_000)
    const current = (a.m.ref(stale.sessionId) ?? b.m.ref(stale.sessionId))!
    expect(current.epoch).toBe(stale.epoch + 1)

    const awake = new SQL({ url: tdb.url, max: 1 }) // c wakes up with a write in flight under its old epoch
    pools.push(awake)
    await expect(writeEvent(awake, stale, 'ev-stale')).rejects.toBeInstanceOf(LeaseLost)
    expect(await eventCount()).toBe(0)
    await writeEvent(awake, current, 'ev-owner')
    expect(await eventCount()).toBe(1)
  }, 90_000)

  it('a joining node gets sessions handed over gracefully: stopped, released, then taken at the next epoch', async () => {
    const [a, b] = ['a', 'b'].map(node) as [Node, Node]
    await converge([a, b])
    expect([a.m.held().length, b.m.held().length]).toEqual([15, 15])
    const before = new Map((await leaseRows()).map((r) => [r.session_id, r.epoch]))
    for (const n of [a, b]) n.released.length = 0 // a took all 30 before b came: count from here
    const c = node('c')
    await converge([a, b, c])
    await waitFor('c to hold its share', () => c.m.held().length === 10, 30_000)
    expect([a.m.held().length, b.m.held().length]).toEqual([10, 10])
    expect([a.released.length, b.released.length]).toEqual([5, 5])
    expect([...a.lost, ...b.lost]).toEqual([])
    const handed = [...a.released, ...b.released].map((l) => l.sessionId).sort()
    expect(
      c.m
        .held()
        .map((l) => l.sessionId)
        .sort(),
    ).toEqual(handed)
    for (const l of c.m.held()) expect(l.epoch).toBe(before.get(l.sessionId)! + 1)
    expect(violations).toEqual([])
  })

  it('stop drains: every session handed back, the node leaves, the others take its share', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map(node) as [Node, Node, Node]
    await converge([a, b, c])
    const drained = a.m.held()
    a.released.length = 0
    await a.m.stop()
    expect(a.released).toEqual(drained)
    expect(a.m.held()).toEqual([])
    expect(await admin`SELECT id FROM cluster_nodes ORDER BY id`).toEqual([{ id: 'b' }, { id: 'c' }])
    expect((await leaseRows()).filter((r) => r.node_id === 'a')).toEqual([])
    await converge([b, c])
    expect([b.m.held().length, c.m.held().length]).toEqual([15, 15])
    expect(violations).toEqual([])
  })

  it('hands back the lease of a session that is no longer meant to run', async () => {
    const a = node('a')
    await converge([a])
    await admin`UPDATE sessions SET desired_state = 'stopped' WHERE id = 's07'`
    const s07 = async () => (await leaseRows()).find((r) => r.session_id === 's07')!
    await waitFor('s07 to be released', async () => (await s07()).node_id === null, 10_000)
    expect(a.released).toEqual([{ sessionId: 's07', epoch: 1 }])
    expect(a.m.held().length).toBe(SESSIONS - 1)
    await a.m.tick()
    expect((await s07()).node_id).toBeNull()
  })

  it('a takeover never interleaves with a fenced write in flight: the lease is skipped until the write commits', async () => {
    // "ghost" held s00 at epoch 1 and its lease has expired, but one of its fenced writes is still open.
    await admin`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('s00', 'ghost', 1, 0)`
    const ghost = { sessionId: 's00', nodeId: 'ghost', epoch: 1 }
    let commit!: () => void
    const gate = new Promise<void>((resolve) => (commit = resolve))
    let checked!: () => void
    const inside = new Promise<void>((resolve) => (checked = resolve))
    const inFlight = fenced(admin, ghost, async (tx) => {
      await tx`INSERT INTO events (id, org_id, session_id, type, created_at, data)
        VALUES ('ev-in-flight', 'acme', 's00', 'test.write', 1, '{}')`
      checked()
      await gate
    })
    await inside
    const b = node('b')
    await b.m.tick()
    expect(b.m.held().length).toBe(SESSIONS - 1)
    expect(b.m.ref('s00')).toBeUndefined()
    commit()
    await inFlight
    await b.m.tick()
    expect(b.m.ref('s00')).toEqual({ sessionId: 's00', nodeId: 'b', epoch: 2 })
    await expect(writeEvent(admin, ghost, 'ev-late')).rejects.toBeInstanceOf(LeaseLost)
    expect(await admin`SELECT id FROM events`).toEqual([{ id: 'ev-in-flight' }])
  })

  it('a fenced write a paused node left open is ended by the server (idleInTransactionMs): the takeover goes ahead', async () => {
    await admin`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES ('s00', 'ghost', 1, 0)`
    const ghost = { sessionId: 's00', nodeId: 'ghost', epoch: 1 }
    const paused = openPg(tdb.url, { max: 1, idleInTransactionMs: 300 })
    pools.push(paused.sql)
    let checked!: () => void
    const inside = new Promise<void>((resolve) => (checked = resolve))
    const never = new Promise<void>(() => {})
    const frozen = fenced(paused.sql, ghost, async (tx) => {
      await tx`INSERT INTO events (id, org_id, session_id, type, created_at, data)
        VALUES ('ev-frozen', 'acme', 's00', 'test.write', 1, '{}')`
      checked()
      await never // the process stopped here, its transaction open
    })
    frozen.catch(() => {})
    await inside
    const b = node('b')
    await converge([b])
    expect(b.m.ref('s00')).toEqual({ sessionId: 's00', nodeId: 'b', epoch: 2 })
    expect(await eventCount()).toBe(0)
  })

  it('a slow session start does not hold up the renewals: the node keeps every lease meanwhile', async () => {
    let open!: () => void
    const gate = new Promise<void>((resolve) => (open = resolve))
    const sql = new SQL({ url: tdb.url, max: 2 })
    pools.push(sql)
    const lost: LostReason[] = []
    const m = new LeaseManager(
      sql,
      'slow',
      { onAcquired: () => gate, onRelease: () => {}, onLost: (_, reason) => void lost.push(reason) },
      timings,
    )
    managers.push(m)
    await m.start() // the first round took all 30; their starts are still running
    expect(m.held().length).toBe(SESSIONS)
    const renewals = m.stats.renewals
    // 10 rounds of 300 ms: well past the 2 s renew deadline a blocked round would have missed
    await waitFor('renewals past the deadline', () => m.stats.renewals >= renewals + 10, 30_000)
    expect(lost).toEqual([])
    expect(m.held().length).toBe(SESSIONS)
    open()
  })

  it('a renewal sent before the deadline and answered after it keeps the sessions (a slow answer, a busy event loop)', async () => {
    const t: LeaseTimings = { ttlMs: 6000, renewEveryMs: 1000, renewDeadlineMs: 3000 }
    const { m, lost } = soloNode(t)
    await m.start()
    const held = m.held()
    // The next renewal is sent within a second and waits on the lock until a quarter of the way from the deadline
    // to the expiry: its answer comes after the deadline, as one read late after a stall of the event loop would.
    const lock = await lockLeaseRow(m)
    try {
      await Bun.sleep(lock.renewedAt + t.renewDeadlineMs + (t.ttlMs - t.renewDeadlineMs) / 4 - performance.now())
      expect(lost).toEqual([])
    } finally {
      await lock.release()
    }
    await waitFor('the renewal to come back', () => m.sinceRenewalMs() < t.renewDeadlineMs, 10_000)
    expect(lost).toEqual([])
    expect(m.held()).toEqual(held)
  })

  it('a renewal still unanswered halfway from the deadline to the expiry does not keep them: they stop before expiry', async () => {
    const t: LeaseTimings = { ttlMs: 6000, renewEveryMs: 1000, renewDeadlineMs: 3000 }
    const { m, lost } = soloNode(t)
    await m.start()
    const lock = await lockLeaseRow(m)
    try {
      await waitFor('the sessions to stop', () => lost.length === SESSIONS, t.ttlMs)
      expect(performance.now()).toBeLessThan(lock.renewedAt + t.ttlMs) // the renewal is still waiting on the lock
      expect(lost.every((reason) => reason === 'renew_deadline')).toBe(true)
    } finally {
      await lock.release()
    }
  })

  it('a tick asked for while a round runs is not dropped: it runs once that round ends', async () => {
    // Ticks 200 s apart: only the tick asked for meanwhile can renew again within the test.
    const { m } = soloNode({ ttlMs: 600_000, renewEveryMs: 200_000, renewDeadlineMs: 400_000 })
    await m.start()
    const renewals = m.stats.renewals
    const lock = await lockLeaseRow(m)
    const first = m.tick() // its renewal waits on the lock
    void m.tick()
    await lock.release()
    await first
    await waitFor('the round asked for meanwhile', () => m.stats.renewals === renewals + 2, 10_000)
  })

  it("a fenced write in flight does not hold up its holder's renewal", async () => {
    const a = node('a')
    await converge([a])
    const lease = a.m.ref(a.m.held()[0]!.sessionId)!
    const renewals = a.m.stats.renewals
    let commit!: () => void
    const gate = new Promise<void>((resolve) => (commit = resolve))
    let checked!: () => void
    const inside = new Promise<void>((resolve) => (checked = resolve))
    const writer = new SQL({ url: tdb.url, max: 1 })
    pools.push(writer)
    const inFlight = fenced(writer, lease, async () => {
      checked()
      await gate
    })
    await inside
    await a.m.tick() // the write is still open: a renewal waiting for it would never get here
    expect(a.m.stats.renewals).toBeGreaterThan(renewals)
    expect(a.m.ref(lease.sessionId)).toEqual(lease)
    commit()
    await inFlight
  })
})
