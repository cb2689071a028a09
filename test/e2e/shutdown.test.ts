// Graceful shutdown loses nothing: SIGTERM to a gateway child process in the middle of a 1,000-message
// burst, restart, and every message the simulator delivered is stored exactly once.
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { startGateway } from '../helpers/gateway-process.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '6281300000001'
const ALICE = '6281300000002'
const BURST = 1000

let sim: Simulator
let dir: string

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: 0 })
  dir = mkdtempSync(join(tmpdir(), 'wagate-shutdown-'))
})
afterAll(async () => {
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
})

const control = (method: string, path: string, body?: unknown) => simControl(sim.controlUrl)(method, path, body)

it('stores every message of a burst exactly once across a SIGTERM and a restart', async () => {
  const env = { WAGATE_WA_URL: sim.wsUrl, WAGATE_WA_ROOT_KEY: sim.rootPublicKey, WAGATE_LOG_LEVEL: 'info' }
  await control('POST', '/accounts', { phone: OWNER, name: 'Owner' })
  await control('POST', '/accounts', { phone: ALICE, name: 'Alice' })
  let gw = await startGateway({ dataDir: dir, env })
  const key = gw.key!
  const api = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}/api/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    })
    return { status: res.status, body: (await res.json().catch(() => null)) as any }
  }
  const sid = (await api('/sessions', { method: 'POST', body: JSON.stringify({ name: 'burst', start: true }) })).body.id
  const qr = await waitFor('QR', async () => {
    const r = await api(`/sessions/${sid}/qr`)
    return r.status === 200 ? r.body.qr : null
  })
  expect((await control('POST', `/accounts/${OWNER}:scan`, { qr })).status).toBe(200)
  await waitFor('connected', async () => (await api(`/sessions/${sid}`)).body.status === 'connected', 15_000)

  const db = new Database(join(dir, 'wagate.db'), { readonly: true })
  const stored = () => db.query<{ n: number }, []>(`SELECT count(*) AS n FROM messages WHERE body = 'burst'`).get()!.n

  const burst = control('POST', `/accounts/${ALICE}/messages`, { to: OWNER, text: 'burst', count: BURST })
  await waitFor('part of the burst stored', () => stored() >= 100, 20_000)
  expect(await gw.stop('SIGTERM')).toBe(0)
  const sent = await burst
  expect(sent.status).toBe(201)
  const ids: string[] = sent.body.data.map((m: { id: string }) => m.id)
  expect(ids).toHaveLength(BURST)
  const beforeRestart = stored()

  gw = await startGateway({ dataDir: dir, env })
  await waitFor('the whole burst stored', () => stored() >= BURST, 60_000)
  await gw.stop('SIGTERM')

  const rows = db
    .query<{ wa_id: string; n: number }, []>(
      `SELECT wa_id, count(*) AS n FROM messages WHERE body = 'burst' GROUP BY wa_id`,
    )
    .all()
  const events = db
    .query<{ n: number }, []>(
      `SELECT count(*) AS n FROM events WHERE type = 'message.received' AND json_extract(data, '$.body') = 'burst'`,
    )
    .get()!.n
  db.close()
  console.log(`burst ${BURST}: stored ${beforeRestart} before SIGTERM, ${rows.length} after restart; events ${events}`)
  expect(rows.length).toBe(BURST)
  expect(rows.every((r) => r.n === 1)).toBe(true)
  expect(new Set(rows.map((r) => r.wa_id))).toEqual(new Set(ids))
  expect(events).toBe(BURST)
}, 120_000)
