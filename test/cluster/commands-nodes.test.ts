// Routing on real session engines: two nodes in one process, each a real supervisor with real Baileys sockets on the
// simulator, a real lease manager on PostgreSQL and a routing layer over it (as serve wires them). The stored copy
// and auth state are one SQLite file the nodes share, as in node-engine.test.ts. An API call landing on the node
// that does not run the session reaches the socket on the node that does.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { createCommandRouting, type Routing } from '../../src/cluster/commands-engine.ts'
import type { LeaseTimings } from '../../src/cluster/leases.ts'
import { nodeEngine, startNode, type ClusterNode } from '../../src/cluster/node.ts'
import { createLogger } from '../../src/log.ts'
import type { SessionEngine } from '../../src/sessions/engine.ts'
import { migratePg } from '../../src/store/pg/db.ts'
import { startHarness, type Harness } from '../e2e/sessions-harness.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'

const SESSIONS = 2
const CONTACT = '15551310099'
const timings: LeaseTimings = { ttlMs: 4000, renewEveryMs: 300, renewDeadlineMs: 1800 }

let tdb: TestDatabase
let admin: SQL
let first: Harness
const sids: string[] = []
type Node = { name: string; h: Harness; sql: SQL; node: ClusterNode; routing: Routing; engine: SessionEngine }
const nodes: Node[] = []

beforeAll(async () => {
  tdb = await createTestDatabase()
  admin = new SQL({ url: tdb.url, max: 2 })
  await migratePg(admin)
  first = await startHarness()
  for (let i = 0; i < SESSIONS; i++) sids.push(await first.linkedSession(`1555131000${i}`))
  await first.control('POST', '/accounts', { phone: CONTACT, name: 'Contact' })
  await first.supervisor.shutdown() // linked, desired state running, nobody runs them
  const orgId = first.session(sids[0]!).org_id as string
  await admin`INSERT INTO orgs (id, name) VALUES (${orgId}, 'Test org')`
  for (const id of sids)
    await admin`INSERT INTO sessions (id, org_id, name, desired_state) VALUES (${id}, ${orgId}, ${id}, 'running')`
  for (const name of ['a', 'b']) nodes.push(await join(name))
  await waitFor(
    'each node running one session',
    () => nodes.every((n) => n.node.owned() === 1 && sids.some((id) => n.h.supervisor.live(id)?.connected)),
    30_000,
  )
}, 120_000)

afterAll(async () => {
  for (const n of nodes) {
    await n.engine.shutdown().catch(() => {})
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
  const sql = new SQL({ url: tdb.url, max: 4 })
  const node = await startNode(
    { sql, secretKey: first.secretKey, nodeId: name, timings, logger: createLogger('silent') },
    h.supervisor,
  )
  // As serve wires it: the routing layer in front of the supervisor, inside the node's engine (drain on shutdown).
  const routing = createCommandRouting({
    sql,
    nodeId: node.nodeId,
    holds: (id) => node.leaseOf(id) !== undefined,
    local: h.supervisor,
    kick: () => void node.wake(),
  })
  await routing.start()
  const engine = nodeEngine(routing.engine, node, async () => {
    await routing.stop()
    await h.supervisor.shutdown()
  })
  return { name, h, sql, node, routing, engine }
}

/** A session `holder` runs, and the other node. */
function split(): { sid: string; holder: Node; other: Node } {
  const [a, b] = nodes as [Node, Node]
  const sid = sids.find((id) => a.node.leaseOf(id))!
  return { sid, holder: a, other: b }
}

describe('a call landing on the node that does not run the session', () => {
  it("asks WhatsApp through the holder's socket", async () => {
    const { sid, other } = split()
    expect(await other.engine.checkPhones(sid, [CONTACT, '15551319999'])).toEqual([
      { phone: CONTACT, exists: true, jid: `${CONTACT}@s.whatsapp.net`, lid: expect.stringMatching(/^\d+@lid$/) },
      { phone: '15551319999', exists: false, jid: null, lid: null },
    ])
    expect(other.routing.bus.stats.sent).toBeGreaterThan(0)
  })

  it('sends a message that the contact receives once', async () => {
    const { sid, holder, other } = split()
    const served = holder.routing.bus.stats.served
    const sent = await other.engine.send(sid, { to: CONTACT, text: 'through the other node' })
    expect(sent).toMatchObject({ fromMe: true, body: 'through the other node', chatJid: `${CONTACT}@s.whatsapp.net` })
    expect(holder.routing.bus.stats.served).toBe(served + 1)
    const inbox = async () =>
      (
        (await first.control('GET', `/accounts/${CONTACT}/messages`)).body.data as { id: string; text: string }[]
      ).filter((m) => m.id === sent.id)
    await waitFor('the contact to receive it', async () => (await inbox()).length > 0)
    await Bun.sleep(500)
    expect((await inbox()).map((m) => m.text)).toEqual(['through the other node'])
  })

  it('starts a session no node runs: a node takes it, and either node shows its QR', async () => {
    const [a, b] = nodes as [Node, Node]
    const sid = first.createSession('new')
    await admin`INSERT INTO sessions (id, org_id, name) SELECT ${sid}, org_id, 'new' FROM sessions LIMIT 1`
    expect(await b.engine.qr(sid)).toBeNull()
    await b.engine.start(sid)
    const qr = await waitFor('a QR on the node that took it', () => a.engine.qr(sid), 15_000)
    expect(qr.qr.length).toBeGreaterThan(0)
    expect(await b.engine.qr(sid)).toEqual(qr)
    expect([a, b].filter((n) => n.node.leaseOf(sid)).length).toBe(1)
  })
})
