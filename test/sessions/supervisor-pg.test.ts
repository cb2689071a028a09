// The session supervisor on PostgreSQL: the real Baileys against the simulator, every write through the PostgreSQL
// ingest and auth state (pgEngineStore), a database of its own. A linked session stores inbound messages once,
// sends through the queue, and a new supervisor (a new process's state) on the same database logs in from the stored
// creds without a QR. Without the lease, a session stores nothing.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { randomBytes } from 'node:crypto'
import type { LeaseRef } from '../../src/cluster/fencing.ts'
import { createLogger } from '../../src/log.ts'
import { pgEngineStore } from '../../src/sessions/engine-store.ts'
import { createSupervisor, type Supervisor } from '../../src/sessions/supervisor.ts'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { migratePg, openPg, type PgDb } from '../../src/store/pg/db.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const ME = '15551260001'
const BOB = '15551260002'
const SID = 'sess_pg'
const secretKey = randomBytes(32)
let tdb: TestDatabase
let pg: PgDb
let sim: Simulator
let control: ReturnType<typeof simControl>
let supervisor: Supervisor
let bob: { jid: string }
/** The lease the supervisor's writes are fenced by; undefined: this node holds none. */
let lease: LeaseRef | undefined = { sessionId: SID, nodeId: 'n1', epoch: 1 }
/** The message NACKed without the lease: WhatsApp keeps it queued for the device's next connection. */
let unstored: { id: string }
/** Where the outbox stood when another node took the session over. */
let takeover = 0

const supervisorOnPg = (nodeId = 'n1') =>
  createSupervisor({
    store: pgEngineStore({ sql: pg.sql, leaseOf: () => lease, nodeId }),
    logger: createLogger(process.env.PGT_LOG ?? 'silent'),
    secretKey,
    waUrl: sim.wsUrl,
    rootKey: Buffer.from(sim.rootPublicKey, 'base64'),
    backoff: { baseMs: 50, capMs: 400 },
    keepAliveIntervalMs: 1_000,
    deafAfterMs: 2_500,
    connectTimeoutMs: 5_000,
    baileysLogLevel: 'silent',
    sending: { pacing: { minGapMs: 0, jitterMs: 0, typing: false } },
  })

const status = async () =>
  ((await pg.sql`SELECT status FROM sessions WHERE id = ${SID}`)[0] as { status: string }).status
const stored = async (waId: string) =>
  Number((await pg.sql`SELECT count(*) AS n FROM messages WHERE session_id = ${SID} AND wa_id = ${waId}`)[0].n)
const eventsOf = async (type: string, after = 0) =>
  (
    (await pg.sql`SELECT data FROM events WHERE type = ${type} AND seq > ${after} ORDER BY seq`) as { data: string }[]
  ).map((e) => JSON.parse(e.data))
const headSeq = async () => Number((await pg.sql`SELECT coalesce(max(seq), 0) AS s FROM events`)[0].s)
/** How the simulator saw one of Bob's messages reach the gateway's device: delivered, receipted or NACKed. */
const deviceState = async (id: string) => {
  const sent = (await control('GET', `/accounts/${BOB}/sent`)).body.data as {
    id: string
    devices: { state: string }[]
  }[]
  return sent.find((s) => s.id === id)?.devices[0]?.state
}
const fromBob = async (text: string) =>
  (await control('POST', `/accounts/${BOB}/messages`, { to: ME, text })).body as { id: string }

beforeAll(async () => {
  tdb = await createTestDatabase()
  pg = openPg(tdb.url, { max: 4 })
  await migratePg(pg.sql)
  await pg.sql`INSERT INTO orgs (id, name) VALUES ('o', 'o')`
  await pg.sql`INSERT INTO sessions (id, org_id, name) VALUES (${SID}, 'o', 'pg')`
  await pg.sql`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES (${SID}, 'n1', 1, 0)`
  sim = await startSimulator({ port: 0, controlPort: 0 })
  control = simControl(sim.controlUrl)
  await control('POST', '/accounts', { phone: ME, name: 'Gateway Owner' })
  bob = (await control('POST', '/accounts', { phone: BOB, name: 'Bob' })).body
  supervisor = supervisorOnPg()
})
afterAll(async () => {
  await supervisor.shutdown()
  await sim.stop()
  await pg.close()
  await tdb.drop()
})

it('links a session by QR with its auth state and status in PostgreSQL', async () => {
  await supervisor.start(SID)
  const qr = await waitFor('a QR', () => supervisor.qr(SID))
  expect((await control('POST', `/accounts/${ME}:scan`, { qr: qr.qr })).status).toBe(200)
  await waitFor('connected', async () => (await status()) === 'connected', 15_000)
  const creds = await pg.sql`SELECT count(*) AS n FROM auth_state WHERE session_id = ${SID} AND type = 'creds'`
  expect(Number(creds[0].n)).toBe(1)
})

it('stores each inbound message exactly once with one message.received event', async () => {
  const sent = await Promise.all(['one', 'two', 'three'].map(fromBob))
  for (const m of sent) await waitFor('stored', async () => (await stored(m.id)) === 1)
  const received = await eventsOf('message.received')
  for (const m of sent) {
    expect(await stored(m.id)).toBe(1)
    expect(received.filter((e) => e.id === m.id)).toHaveLength(1)
  }
  expect(received.find((e) => e.id === sent[0]!.id)).toMatchObject({ body: 'one', senderJid: bob.jid, fromMe: false })
})

it('sends a message through the queue that reaches the phone once', async () => {
  const msg = await supervisor.send(SID, { to: BOB, text: 'hello from postgres' })
  expect(msg).toMatchObject({ status: 'pending', fromMe: true, body: 'hello from postgres' })
  const inbox = async () =>
    ((await control('GET', `/accounts/${BOB}/messages`)).body.data as { id: string; text: string }[]).filter(
      (m) => m.id === msg.id,
    )
  await waitFor('Bob receives it', async () => (await inbox()).length > 0)
  await waitFor(
    'the queue row is gone',
    async () => Number((await pg.sql`SELECT count(*) AS n FROM outbound_queue`)[0].n) === 0,
  )
  expect((await inbox()).map((m) => m.text)).toEqual(['hello from postgres'])
  // Bob's phone reads it: the last status write of the send, so none is still in flight when the next test starts.
  await waitFor(
    'read',
    async () => (await pg.sql`SELECT status FROM messages WHERE wa_id = ${msg.id}`)[0]?.status === 'read',
  )
})

it('stores nothing of an inbound message while this node holds no lease for the session', async () => {
  const before = await headSeq()
  lease = undefined
  unstored = await fromBob('no lease here')
  // The device answered (a NACK: the hook's fenced transaction failed) without storing anything.
  await waitFor('the device NACKed it', async () => (await deviceState(unstored.id)) === 'nacked')
  expect(await stored(unstored.id)).toBe(0)
  expect(await headSeq()).toBe(before)
  lease = { sessionId: SID, nodeId: 'n1', epoch: 1 }
  const next = await fromBob('lease back')
  await waitFor('stored', async () => (await stored(next.id)) === 1)
  expect(await stored(unstored.id)).toBe(0)
  expect((await eventsOf('message.received', before)).map((e) => e.id)).toEqual([next.id])
})

it("another node's supervisor takes the lease and connects from the stored creds without a QR", async () => {
  await supervisor.shutdown()
  expect(await status()).toBe('stopped')
  takeover = await headSeq()
  await pg.sql`UPDATE session_leases SET node_id = 'n2', epoch = 2 WHERE session_id = ${SID}`
  lease = { sessionId: SID, nodeId: 'n2', epoch: 2 }
  supervisor = supervisorOnPg('n2')
  await supervisor.restore()
  await waitFor('connected again', async () => (await status()) === 'connected', 15_000)
  const statuses = (await eventsOf('session.status', takeover)).map((e) => e.status)
  expect(statuses).not.toContain('qr')
  expect(await eventsOf('session.qr', takeover)).toEqual([])
})

it('the NACKed message is delivered again on the new connection and stored exactly once', async () => {
  await waitFor('redelivered and stored', async () => (await stored(unstored.id)) === 1, 15_000)
  await waitFor('the device receipted it', async () => (await deviceState(unstored.id)) === 'receipted')
  expect(await stored(unstored.id)).toBe(1)
  expect((await eventsOf('message.received', takeover)).map((e) => e.id)).toEqual([unstored.id])
})

it('keeps receiving on the new node', async () => {
  const m = await fromBob('after the takeover')
  await waitFor('stored', async () => (await stored(m.id)) === 1)
  expect((await eventsOf('message.received', takeover)).map((e) => e.id)).toEqual([unstored.id, m.id])
})
