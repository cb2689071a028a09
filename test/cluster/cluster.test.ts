// Issue 14's cluster test: three `wagate serve --database-url` binaries on one PostgreSQL database, the simulator
// and 30 linked sessions, with the default lease timings (TTL 10 s, renew every 2 s, renew deadline 6 s). The tests
// run in order on one cluster: spread, sends, a crash during an inbound burst, a node joining, a node paused past its
// lease, a drain. Invariants checked along the way with the simulator's view of each linked device: the device id
// never changes (a new QR would pair a new device) and `replaced` counts the logins that found another connection of
// the same session still open, which must only happen for the sessions taken from the paused node, while it is
// paused.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { waitFor } from '../helpers/wait.ts'
import { startCluster, type Cluster, type Device, type Node } from './cluster-harness.ts'

const SESSIONS = 30
const FAIR = Math.ceil(SESSIONS / 3)
const owners = Array.from({ length: SESSIONS }, (_, i) => String(6281700000000 + i))
const contactOf = (owner: string) => String(Number(owner) + 1_000_000)

let c: Cluster
/** Session id of each owner phone, and the reverse. */
let sidOf = new Map<string, string>()
const ownerOf = new Map<string, string>()
/** The devices as linked: their ids must stay the same for the whole run (no session is ever paired again). */
let linked = new Map<string, Device>()
let qrsAfterLinking = 0
const node = (name: string) => c.nodes.get(name)!
const live = () => [...c.nodes.values()]

beforeAll(async () => {
  c = await startCluster()
  await c.startNode('a') // bootstraps the database: its banner has the admin key
  await Promise.all([c.startNode('b'), c.startNode('c')])
}, 120_000)

afterAll(async () => {
  await c?.stop()
}, 60_000)

const count = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n
const qrEvents = () => count(c.sql!`SELECT count(*)::int AS n FROM events WHERE type = 'session.qr'`)

/** Owned leases per node, from each node's /metrics; the database's leases must say the same. */
async function owned(): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const n of live()) out[n.name] = await c.clusterFigure(n, 'sessions_owned')
  return out
}

/** Every session held by a live node, its device connected in the simulator, one socket each on its holder. */
async function settled(): Promise<boolean> {
  const leases = await c.leases()
  const names = new Set(live().map((n) => n.name))
  if (![...sidOf.values()].every((sid) => names.has(leases.get(sid)?.node ?? ''))) return false
  const devs = await c.devices(owners)
  if (![...devs.values()].every((d) => d.state === 'connected')) return false
  const per = await owned()
  return live().every(
    (n) =>
      per[n.name] === [...leases.values()].filter((l) => l.node === n.name).length &&
      c.socketsToSimulator(n.pid) === per[n.name],
  )
}

/** Waits until every node holds exactly its fair share and every session is settled on one of them. */
async function balanced() {
  await waitFor(
    'a fair share on each node',
    async () => Object.values(await owned()).every((n) => n === FAIR),
    60_000,
    100,
  )
  await waitFor('every session on one node, one socket each', settled, 30_000, 100)
}

/** Sends `per` messages from each owner's contact to the owner; resolves with the WhatsApp ids, per owner. */
async function burst(to: string[], per: number, text: string): Promise<Map<string, string[]>> {
  const sent = await Promise.all(
    to.map((o) =>
      c.sim<{ data: { id: string }[] }>('POST', `/accounts/${contactOf(o)}/messages`, { to: o, text, count: per }),
    ),
  )
  return new Map(to.map((o, i) => [o, sent[i]!.data.map((m) => m.id)]))
}

/** How many rows each of `ids` has in `messages`, for the ids stored at all. */
async function storedCounts(ids: string[]): Promise<Map<string, number>> {
  const rows: { wa_id: string; n: number }[] =
    await c.sql!`SELECT wa_id, count(*)::int AS n FROM messages WHERE wa_id IN ${c.sql!(ids)} GROUP BY wa_id`
  return new Map(rows.map((r) => [r.wa_id, r.n]))
}

/** The sessions whose lease `n` holds now. */
const heldBy = async (n: Node) =>
  [...(await c.leases())].filter(([, l]) => l.node === n.name).map(([sid]) => ownerOf.get(sid)!)

/** Waits until each of `phones` logged in again after `before` and is connected. */
const reconnected = (phones: string[], before: Map<string, Device>, what: string, ms: number) =>
  waitFor(
    what,
    async () => {
      const now = await c.devices(phones)
      return phones.every((p) => now.get(p)!.state === 'connected' && now.get(p)!.logins > before.get(p)!.logins)
    },
    ms,
    100,
  )

/** No session was paired again (same device, no new QR) and no connection was replaced since `before`. */
async function expectNoQrNoReplacement(before: Map<string, Device>) {
  const now = await c.devices(owners)
  for (const p of owners) {
    expect({ phone: p, id: now.get(p)!.id, replaced: now.get(p)!.replaced }).toEqual({
      phone: p,
      id: linked.get(p)!.id,
      replaced: before.get(p)!.replaced,
    })
  }
  expect(await qrEvents()).toBe(qrsAfterLinking)
}

describe('three gateway binaries on one PostgreSQL', () => {
  it('30 linked sessions are spread over the nodes, none holding more than its fair share + 1', async () => {
    sidOf = await c.link(owners, live())
    for (const [phone, sid] of sidOf) ownerOf.set(sid, phone)
    for (const o of owners) await c.sim('POST', '/accounts', { phone: contactOf(o), name: `Contact ${o}` })
    await waitFor('every session on one node, one socket each', settled, 30_000, 100)
    const per = await owned()
    expect(Object.values(per).reduce((x, y) => x + y, 0)).toBe(SESSIONS)
    for (const n of live())
      expect({ node: n.name, within: per[n.name]! <= FAIR + 1 }).toEqual({ node: n.name, within: true })
    linked = await c.devices(owners)
    expect([...linked.values()].map((d) => d.replaced)).toEqual(owners.map(() => 0))
    qrsAfterLinking = await qrEvents()
    expect(qrsAfterLinking).toBeGreaterThanOrEqual(SESSIONS)
  }, 180_000)

  it('a send accepted by any node reaches the phone once', async () => {
    const accepted: { to: string; id: string }[] = []
    for (const o of owners.slice(0, 6))
      for (const n of live()) {
        const r = await c.api<{ id: string; status: string }>(n, 'POST', `/sessions/${sidOf.get(o)}/messages`, {
          to: contactOf(o),
          text: `from ${o} through ${n.name}`,
        })
        expect(r.status).toBe(201)
        accepted.push({ to: contactOf(o), id: r.body.id })
      }
    const inbox = async (phone: string) =>
      (await c.sim<{ data: { id: string }[] }>('GET', `/accounts/${phone}/messages`)).data.map((m) => m.id)
    await waitFor(
      'every send on its phone',
      async () => {
        for (const a of accepted) if (!(await inbox(a.to)).includes(a.id)) return false
        return true
      },
      30_000,
      100,
    )
    for (const a of accepted) expect((await inbox(a.to)).filter((id) => id === a.id)).toEqual([a.id])
  }, 60_000)

  it('SIGKILL during an inbound burst: its sessions connect on the others within 20 s without a QR, every message stored once and delivered once per webhook', async () => {
    const hooks = c.receiver()
    try {
      for (const [path, via] of [
        ['/hook/1', 'a'],
        ['/hook/2', 'b'],
      ] as const) {
        const r = await c.api(node(via), 'POST', '/webhooks', { url: hooks.url(path), events: ['message.received'] })
        expect(r.status).toBe(201)
      }
      const victim = node('c')
      const victimOwners = await heldBy(victim)
      expect(victimOwners.length).toBeGreaterThan(0)
      const before = await c.devices(owners)
      const sent = await burst(owners, 30, 'burst')
      const ids = [...sent.values()].flat()
      const victimIds = victimOwners.flatMap((o) => sent.get(o)!)
      await waitFor(
        'the victim storing its first messages',
        async () => (await storedCounts(victimIds)).size >= 20,
        30_000,
        10,
      )
      c.signal(victim, 'SIGKILL')
      const storedAtKill = (await storedCounts(victimIds)).size
      expect(storedAtKill).toBeLessThan(victimIds.length) // the kill really landed mid-burst
      await reconnected(victimOwners, before, "the victim's sessions connected on the other nodes", 20_000)
      const holders = await c.leases()
      for (const o of victimOwners) expect(['a', 'b']).toContain(holders.get(sidOf.get(o)!)!.node!)

      await waitFor('every message stored', async () => (await storedCounts(ids)).size === ids.length, 60_000, 100)
      const stored = await storedCounts(ids)
      expect([...stored.values()].filter((n) => n !== 1)).toEqual([])
      const events = await count(c.sql!`
        SELECT count(*)::int AS n FROM events WHERE type = 'message.received' AND data::jsonb ->> 'id' IN ${c.sql!(ids)}`)
      expect(events).toBe(ids.length)

      const want = new Set(ids)
      const of = (path: string) =>
        hooks.seen.filter((s) => s.path === path && s.type === 'message.received' && want.has(s.data.id))
      await waitFor(
        'every message.received at both webhooks',
        () => ['/hook/1', '/hook/2'].every((p) => new Set(of(p).map((s) => s.data.id)).size === ids.length),
        60_000,
        100,
      )
      for (const path of ['/hook/1', '/hook/2']) {
        // One event per message; a delivery repeated after the crash carries the same event id.
        const eventsOf = new Map<string, Set<string>>()
        for (const s of of(path)) eventsOf.set(s.data.id, (eventsOf.get(s.data.id) ?? new Set()).add(s.eventId))
        expect([...eventsOf.values()].filter((e) => e.size !== 1)).toEqual([])
        expect(new Set(of(path).map((s) => s.eventId)).size).toBe(ids.length)
      }
      await expectNoQrNoReplacement(before)
      await waitFor('every session on one node, one socket each', settled, 30_000, 100)
    } finally {
      hooks.stop()
    }
  }, 150_000)

  it('a node that joins gets its fair share handed over gracefully, without a QR', async () => {
    const before = await c.devices(owners)
    await c.startNode('d')
    await balanced()
    expect(await heldBy(node('d'))).toHaveLength(FAIR)
    await expectNoQrNoReplacement(before)
  }, 90_000)

  it('SIGSTOP past its lease, then SIGCONT: the paused node writes nothing for the sessions it lost and ends their sockets', async () => {
    const audit = await c.audit({
      messages: 'session_id',
      chats: 'session_id',
      contacts: 'session_id',
      events: 'session_id',
      auth_state: 'session_id',
      sessions: 'id',
      outbound_queue: 'session_id',
      message_media: 'session_id',
    })
    const paused = node('b')
    const pausedOwners = await heldBy(paused)
    expect(pausedOwners).toHaveLength(FAIR)
    const lostBefore = await c.clusterFigure(paused, 'leases_lost_total')
    const before = await c.devices(owners)
    // Paused in the middle of its work: a burst is being stored when the signal lands (a transaction may be open).
    const during = [...(await burst(pausedOwners, 30, 'before the pause')).values()].flat()
    await waitFor('the node storing the burst', async () => (await storedCounts(during)).size >= 20, 30_000, 10)
    c.signal(paused, 'SIGSTOP')
    expect((await storedCounts(during)).size).toBeLessThan(during.length)
    // Its sockets stay open, frozen: these reach the paused process's socket buffers, unread and unreceipted.
    const ids = [...during, ...[...(await burst(pausedOwners, 10, 'while paused')).values()].flat()]
    await reconnected(pausedOwners, before, "the paused node's sessions taken over after its lease expired", 30_000)
    await waitFor(
      'every message stored by the new holders',
      async () => (await storedCounts(ids)).size === ids.length,
      30_000,
      100,
    )
    const atWake = await c.devices(owners)
    // Taking over from a frozen process replaces its open connection, once per session; nowhere else.
    for (const p of owners)
      expect({ p, replaced: atWake.get(p)!.replaced }).toEqual({
        p,
        replaced: before.get(p)!.replaced + (pausedOwners.includes(p) ? 1 : 0),
      })

    c.signal(paused, 'SIGCONT')
    await waitFor(
      'the woken node to notice it lost every lease',
      async () => (await c.clusterFigure(paused, 'leases_lost_total').catch(() => 0)) === lostBefore + FAIR,
      15_000,
      50,
    )
    const renewals = await c.clusterFigure(paused, 'lease_renewals_total')
    await waitFor(
      'two rounds of the woken node',
      async () => (await c.clusterFigure(paused, 'lease_renewals_total')) >= renewals + 2,
      15_000,
      50,
    )
    await balanced()

    expect(await audit.violations()).toEqual([])
    expect(await audit.by('b')).toBeGreaterThan(0) // the audit sees the node's writes for the sessions it holds again
    const stored = await storedCounts(ids)
    expect([...stored.values()].filter((n) => n !== 1)).toEqual([])
    expect(stored.size).toBe(ids.length)
    await expectNoQrNoReplacement(atWake)
  }, 150_000)

  it('SIGTERM drains a node: its sessions move to the others without a QR and it leaves the cluster', async () => {
    const drained = node('a')
    const drainedOwners = await heldBy(drained)
    expect(drainedOwners).toHaveLength(FAIR)
    const before = await c.devices(owners)
    c.signal(drained, 'SIGTERM')
    expect(await drained.exited).toBe(0)
    expect(await count(c.sql!`SELECT count(*)::int AS n FROM session_leases WHERE node_id = 'a'`)).toBe(0)
    expect(await count(c.sql!`SELECT count(*)::int AS n FROM cluster_nodes WHERE id = 'a'`)).toBe(0)
    await reconnected(drainedOwners, before, "the drained node's sessions connected on the others", 30_000)
    await waitFor('every session on one node, one socket each', settled, 30_000, 100)
    expect(await owned()).toEqual({ b: SESSIONS / 2, d: SESSIONS / 2 })
    await expectNoQrNoReplacement(before)
  }, 90_000)
})
