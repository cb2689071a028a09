// `wagate serve --database-url`: the real binary as one cluster node on PostgreSQL, its engine the session
// supervisor over the real Baileys against the simulator. A session created and started over HTTP links by QR and
// stores what it receives; SIGTERM drains the node (socket closed, lease released); a node started afterwards on the
// same database takes the lease and connects the session from the stored creds, without a QR.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import type { SQL } from 'bun'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { startPgSimRig, type PgSimRig } from '../helpers/pg-sim-rig.ts'
import { link } from '../helpers/sigkill-run.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '15551270001'
const BOB = '15551270002'
let rig: PgSimRig
let sql: SQL
let gw: GatewayProcess
let key: string
let sid: string

const node = () =>
  startGateway({
    dataDir: rig.dir,
    env: { WAGATE_WA_URL: rig.sim.wsUrl, WAGATE_WA_ROOT_KEY: rig.sim.rootPublicKey, WAGATE_DATABASE_URL: rig.tdb.url },
    args: ['--lease-ttl-ms', '6000', '--lease-renew-ms', '500', '--lease-renew-deadline-ms', '3000'],
    timeoutMs: 30_000,
  })
const stored = async (waId: string) =>
  Number((await sql`SELECT count(*) AS n FROM messages WHERE session_id = ${sid} AND wa_id = ${waId}`)[0].n)
const receivedEvents = async (waId: string) =>
  ((await sql`SELECT data FROM events WHERE type = 'message.received'`) as { data: string }[]).filter(
    (e) => JSON.parse(e.data).id === waId,
  ).length
const status = async () => {
  const res = await fetch(`${gw.url}/api/v1/sessions/${sid}`, { headers: { authorization: `Bearer ${key}` } })
  return ((await res.json()) as { status: string }).status
}
const fromBob = (text: string) => rig.fromContact(text)

beforeAll(async () => {
  rig = await startPgSimRig({ owner: OWNER, contact: BOB, dirPrefix: 'wagate-serve-pg-' })
  sql = rig.sql
  gw = await node()
  key = gw.key!
})
afterAll(async () => {
  await gw.stop('SIGTERM')
  await rig.stop()
})

it('a session created and started over HTTP links by QR and stores a received message once', async () => {
  sid = await link({ ...gw, key }, OWNER, rig.control)
  const m = await fromBob('hello node')
  await waitFor('stored', async () => (await stored(m.id)) === 1, 15_000)
  expect(await receivedEvents(m.id)).toBe(1)
  const [lease] = await sql`SELECT node_id FROM session_leases WHERE session_id = ${sid}`
  expect(lease.node_id).not.toBeNull()
}, 60_000)

it('SIGTERM drains the node: exit 0, the session stopped here and its lease released', async () => {
  expect(await gw.stop('SIGTERM')).toBe(0)
  const [lease] = await sql`SELECT node_id FROM session_leases WHERE session_id = ${sid}`
  expect(lease.node_id).toBeNull()
  const [row] = await sql`SELECT status, desired_state FROM sessions WHERE id = ${sid}`
  expect(row).toEqual({ status: 'stopped', desired_state: 'running' })
}, 30_000)

it('a node started on the same database connects the session without a QR and keeps receiving', async () => {
  const [{ s: before }] = await sql`SELECT coalesce(max(seq), 0)::int AS s FROM events`
  gw = await node()
  await waitFor('connected', async () => (await status()) === 'connected', 30_000)
  const qrs = await sql`SELECT count(*)::int AS n FROM events WHERE type = 'session.qr' AND seq > ${before}`
  expect(qrs[0].n).toBe(0)
  const m = await fromBob('after the drain')
  await waitFor('stored', async () => (await stored(m.id)) === 1, 15_000)
  expect(await receivedEvents(m.id)).toBe(1)
}, 60_000)
