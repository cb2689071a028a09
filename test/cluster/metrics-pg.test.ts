// /metrics on a cluster node (`serve --database-url`): the commit figures move as on a SQLite node. The node's
// transactions are its own (the engine's, fenced by the lease), so it counts them itself; the outbox NOTIFY that
// wakes its readers carries no figures.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { startPgSimRig, type PgSimRig } from '../helpers/pg-sim-rig.ts'
import { link } from '../helpers/sigkill-run.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '15551290001'
const BOB = '15551290002'
let rig: PgSimRig
let gw: GatewayProcess
let sid: string

type Families = ReturnType<typeof parsePrometheusTextFormat>
const scrape = async (): Promise<Families> => parsePrometheusTextFormat(await (await fetch(`${gw.url}/metrics`)).text())
const family = (fams: Families, name: string) => fams.find((f) => f.name === name)!
const valueOf = (fams: Families, name: string, labels: Record<string, string>) =>
  Number(
    family(fams, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? 0,
  )
const commits = (fams: Families) => {
  const m = family(fams, 'wagate_ingest_commit_seconds').metrics[0] as { count: string; sum: string }
  return { count: Number(m.count), sum: Number(m.sum) }
}
const received = (f: Families) => valueOf(f, 'wagate_messages_total', { direction: 'received' })
const eventsOf = (f: Families, type: string) => valueOf(f, 'wagate_events_total', { type })
/** How many of these WhatsApp ids the node stored. */
const stored = async (ids: string[]) =>
  Number(
    (await rig.sql`SELECT count(*)::int AS n FROM messages WHERE session_id = ${sid} AND wa_id IN ${rig.sql(ids)}`)[0]
      .n,
  )
/** Stanzas the simulator delivered to the linked device that it has not receipted yet. */
const pending = async () =>
  ((await rig.control('GET', `/accounts/${OWNER}`)).body as { devices: { pending: number }[] }).devices[0]?.pending

beforeAll(async () => {
  rig = await startPgSimRig({ owner: OWNER, contact: BOB, dirPrefix: 'wagate-metrics-pg-' })
  gw = await startGateway({
    dataDir: rig.dir,
    env: { WAGATE_WA_URL: rig.sim.wsUrl, WAGATE_WA_ROOT_KEY: rig.sim.rootPublicKey, WAGATE_DATABASE_URL: rig.tdb.url },
    timeoutMs: 30_000,
  })
  sid = await link(gw, OWNER, rig.control)
  // The login writes the history the simulator syncs (two chats), and each message of the login (the app-state key
  // share, the history sync notification) in a commit of its own, receipted after it; the history batch can commit
  // before the notification's own commit. Once both are counted and nothing is left unreceipted, the session
  // writes only what it receives.
  await waitFor('history counted', async () => eventsOf(await scrape(), 'chat.updated') === 2, 15_000)
  await waitFor('login receipted', async () => (await pending()) === 0, 15_000)
}, 60_000)
afterAll(async () => {
  await gw?.stop('SIGTERM')
  await rig?.stop()
})

it('counts 3 received messages, their events and their 3 commits on a PostgreSQL node', async () => {
  const before = await scrape()
  const sent = await rig.control('POST', `/accounts/${BOB}/messages`, { to: OWNER, text: 'hi', count: 3 })
  expect(sent.status).toBe(201)
  const ids = (sent.body as { data: { id: string }[] }).data.map((m) => m.id)
  // These three ids, not every received row: the history sync stored two received messages before them, so a count
  // of all of them went 2 → 5 and passed only when a poll fell between the first commit and the second (the CI
  // failures at 5fa9846 and 6f6f69d: the three were stored and receipted within a second, the wait missed it).
  await waitFor('3 stored', async () => (await stored(ids)) === 3, 15_000)
  // The node counts a commit once the database answered it, which may be just after this test saw the rows.
  const after = await waitFor('counted', async () => {
    const f = await scrape()
    return received(f) - received(before) >= 3 ? f : null
  })
  expect(received(after) - received(before)).toBe(3)
  expect(eventsOf(after, 'message.received') - eventsOf(before, 'message.received')).toBe(3)
  expect(commits(after).count - commits(before).count).toBe(3)
  expect(commits(after).sum).toBeGreaterThan(commits(before).sum)
}, 60_000)

it('counts every event this node appended, as many as the outbox holds', async () => {
  const counted = family(await scrape(), 'wagate_events_total').metrics.reduce((n, m) => n + Number(m.value), 0)
  const [{ n }] = await rig.sql`SELECT count(*)::int AS n FROM events`
  expect(counted).toBe(n)
  expect(n).toBe(10) // starting, qr, session.qr, starting, connected, 2 history chats, 3 messages
})
