// Leases driving real session engines: three nodes in one process, each a real supervisor with real Baileys sockets
// on the simulator and a real lease manager on PostgreSQL. The stored copy and auth state are one SQLite file the
// three share (standing in for the shared database; the binaries' cluster test runs everything on PostgreSQL): what
// is shown here is the wiring: a taken lease connects the session from its stored auth state without a QR, a drain
// hands every session over gracefully, a node that cannot renew ends its sockets before the lease expires and the
// others reconnect them, still without a QR.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { startNode, type ClusterNode } from '../../src/cluster/node.ts'
import type { LeaseTimings } from '../../src/cluster/leases.ts'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { createLogger } from '../../src/log.ts'
import { createMetrics } from '../../src/metrics/registry.ts'
import { createStoreGauges } from '../../src/store/gauges.ts'
import { migratePg } from '../../src/store/pg/db.ts'
import { startHarness, type Harness } from '../e2e/sessions-harness.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'

const SESSIONS = 6
const timings: LeaseTimings = { ttlMs: 4000, renewEveryMs: 300, renewDeadlineMs: 1800 }

let tdb: TestDatabase
let admin: SQL
let first: Harness
let sids: string[] = []
type Node = { name: string; h: Harness; sql: SQL; node: ClusterNode }
const nodes: Node[] = []

beforeAll(async () => {
  tdb = await createTestDatabase()
  admin = new SQL({ url: tdb.url, max: 2 })
  await migratePg(admin)
  first = await startHarness()
  for (let i = 0; i < SESSIONS; i++) sids.push(await first.linkedSession(`1555130000${i}`))
  await first.supervisor.shutdown() // linked, desired state running, nobody runs them
  const orgId = first.session(sids[0]!).org_id as string
  await admin`INSERT INTO orgs (id, name) VALUES (${orgId}, 'Test org')`
  for (const id of sids)
    await admin`INSERT INTO sessions (id, org_id, name, desired_state) VALUES (${id}, ${orgId}, ${id}, 'running')`
}, 120_000)

afterAll(async () => {
  for (const n of nodes) {
    await n.node.drain().catch(() => {})
    await n.h.close(true)
    await n.sql.close().catch(() => {})
  }
  first.db.close()
  await first.sim.stop()
  await admin.close()
  await tdb.drop()
})

async function join(name: string): Promise<Node> {
  const h = await startHarness({ sim: first.sim, dir: first.dir, secretKey: first.secretKey })
  const sql = new SQL({ url: tdb.url, max: 2 })
  const node = await startNode(
    { sql, secretKey: first.secretKey, nodeId: name, timings, logger: createLogger('silent') },
    h.supervisor,
  )
  const n = { name, h, sql, node }
  nodes.push(n)
  return n
}

const qrEvents = () => first.eventsOf('session.qr').length
/** Which of `of` has each session's socket connected; a session connected on two nodes would show twice. */
const connectedOn = (of: Node[]) =>
  sids.flatMap((id) => of.filter((n) => n.h.supervisor.live(id)?.connected).map((n) => `${id}@${n.name}`))
const allConnectedOnce = (of: Node[]) =>
  connectedOn(of).length === SESSIONS &&
  sids.every((id) => first.session(id).status === 'connected') &&
  new Set(connectedOn(of).map((s) => s.split('@')[0])).size === SESSIONS

describe('leases driving the session engine', () => {
  it('three nodes connect the linked sessions from their stored auth state, fairly shared, without a QR', async () => {
    const qrs = qrEvents()
    const [a, b, c] = [await join('a'), await join('b'), await join('c')]
    await waitFor('every session connected on one node', () => allConnectedOnce([a, b, c]), 30_000)
    await waitFor('a fair share each', () => [a, b, c].every((n) => n.node.owned() === SESSIONS / 3), 30_000)
    await waitFor('every session connected on one node', () => allConnectedOnce([a, b, c]), 30_000)
    for (const n of [a, b, c])
      for (const id of sids) expect(!!n.h.supervisor.live(id)?.connected).toBe(n.node.leaseOf(id) !== undefined)
    expect(qrEvents()).toBe(qrs)
  }, 90_000)

  it('a draining node closes its sockets and releases its leases; the others reconnect them without a QR', async () => {
    const [a, b, c] = nodes as [Node, Node, Node]
    const qrs = qrEvents()
    const released = c.node.stats.released
    await c.node.drain()
    expect(c.node.owned()).toBe(0)
    expect(c.node.stats.released - released).toBe(SESSIONS / 3)
    expect(sids.filter((id) => c.h.supervisor.live(id))).toEqual([])
    const leases = await admin`SELECT count(*)::int AS n FROM session_leases WHERE node_id = 'c'`
    expect(leases).toEqual([{ n: 0 }])
    await waitFor('every session connected on a or b', () => allConnectedOnce([a, b]), 30_000)
    expect(a.node.owned() + b.node.owned()).toBe(SESSIONS)
    expect(qrEvents()).toBe(qrs)
  }, 60_000)

  it('a node cut off from the database ends its sockets before its leases expire; the other takes them', async () => {
    const [a, b] = nodes as [Node, Node]
    const qrs = qrEvents()
    const bHeld = sids.filter((id) => b.node.leaseOf(id))
    expect(bHeld.length).toBeGreaterThan(0)
    const expiry = new Map(
      (
        (await admin`SELECT session_id, expires_at::float8 AS e FROM session_leases WHERE node_id = 'b'`) as {
          session_id: string
          e: number
        }[]
      ).map((r) => [r.session_id, r.e]),
    )
    await b.sql.close() // every renewal of b fails from now on
    await waitFor('b to end its sockets', () => bHeld.every((id) => !b.h.supervisor.live(id)), 10_000)
    const endedAt = Date.now()
    for (const id of bHeld) expect(endedAt).toBeLessThan(expiry.get(id)!)
    expect(b.node.stats.lost).toBe(bHeld.length)
    await waitFor('a to run every session', () => allConnectedOnce([a]), 30_000)
    expect(a.node.owned()).toBe(SESSIONS)
    expect(qrEvents()).toBe(qrs)
  }, 60_000)

  it('readiness: a renewing node is ready; one cut off from the database says why it is not', async () => {
    const [a, b] = nodes as [Node, Node]
    expect(await a.node.ready()).toEqual({ ok: true })
    const r = await b.node.ready()
    expect(r.ok).toBe(false)
    expect(r.ok ? '' : r.reason).toStartWith(`no lease renewal for over ${timings.renewDeadlineMs} ms`)
  })

  it("/metrics of a node: its sessions, lease and command counters, labelled with the node's id", async () => {
    const [a] = nodes as [Node]
    const commands = { sent: 7, served: 5, unclaimed: 2, timeouts: 1 }
    const metrics = createMetrics({
      gauges: createStoreGauges(a.h.db),
      sseClients: () => 0,
      cluster: { nodeId: a.node.nodeId, owned: () => a.node.owned(), stats: a.node.stats, commands },
    })
    const fams = parsePrometheusTextFormat(await metrics.text())
    const value = (name: string) => {
      const f = fams.find((x) => x.name === name)
      const m = f?.metrics as { labels: Record<string, string>; value: string }[] | undefined
      expect(m?.map((x) => x.labels)).toEqual([{ node_id: 'a' }])
      return Number(m![0]!.value)
    }
    const { stats } = a.node
    expect(value('wagate_cluster_node_info')).toBe(1)
    expect(value('wagate_cluster_sessions_owned')).toBe(SESSIONS)
    expect(value('wagate_cluster_leases_acquired_total')).toBe(stats.acquired)
    expect(stats.acquired).toBeGreaterThanOrEqual(SESSIONS)
    expect(value('wagate_cluster_leases_released_total')).toBe(stats.released)
    expect(value('wagate_cluster_leases_lost_total')).toBe(0)
    expect(value('wagate_cluster_lease_renewals_total')).toBeGreaterThan(0)
    expect(value('wagate_cluster_lease_renew_failures_total')).toBe(0)
    expect(value('wagate_cluster_commands_sent_total')).toBe(7)
    expect(value('wagate_cluster_commands_served_total')).toBe(5)
    expect(value('wagate_cluster_commands_unclaimed_total')).toBe(2)
    expect(value('wagate_cluster_commands_timeouts_total')).toBe(1)
  })
})
