// Issue 10: the send queue is durable. 200 sends are accepted (201, ids returned) to four contacts, the gateway is
// killed with SIGKILL while most of them are still queued, and restarted on the same data dir: every accepted
// message reaches its phone exactly once, in the accepted order per chat, under the id the API returned.
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { simControl, type SimControl } from '../helpers/sim-control.ts'
import { link } from '../helpers/sigkill-run.ts'
import { waitFor } from '../helpers/wait.ts'
import { quietLibsignal } from '../simulator/harness.ts'

const OWNER = '6281500000000'
const CONTACTS = ['6281500000101', '6281500000102', '6281500000103', '6281500000104']
const TOTAL = 200
// Fast but paced: the queue drains in ~10 s, so the kill lands with most sends still queued.
const env = (sim: Simulator) => ({
  WAGATE_WA_URL: sim.wsUrl,
  WAGATE_WA_ROOT_KEY: sim.rootPublicKey,
  WAGATE_SEND_MIN_GAP_MS: '40',
  WAGATE_SEND_JITTER_MS: '20',
  WAGATE_SEND_TYPING: 'false',
  // 200 API calls in a row: the per-key request rate limit is not what this test is about.
  WAGATE_RATE_LIMIT: '0',
})

let sim: Simulator
let control: SimControl
let dir: string
let gw: GatewayProcess | null = null

afterAll(quietLibsignal())

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: 0 })
  control = simControl(sim.controlUrl)
  dir = mkdtempSync(join(tmpdir(), 'wagate-send-sigkill-'))
  await control('POST', '/accounts', { phone: OWNER, name: 'Owner' })
  for (const c of CONTACTS) await control('POST', '/accounts', { phone: c, name: `Contact ${c.slice(-3)}` })
})
afterAll(async () => {
  await gw?.stop('SIGKILL').catch(() => {})
  await sim.stop()
  rmSync(dir, { recursive: true, force: true })
})

type Inbox = { id: string; from: string; text: string }
const inboxes = async () => {
  const all = new Map<string, Inbox[]>()
  for (const c of CONTACTS) all.set(c, (await control<{ data: Inbox[] }>('GET', `/accounts/${c}/messages`)).body.data)
  return all
}
const received = async () => [...(await inboxes()).values()].reduce((n, box) => n + box.length, 0)

it('delivers every accepted send exactly once, in order per chat, with its API id, across a SIGKILL', async () => {
  gw = await startGateway({ dataDir: dir, env: env(sim) })
  const key = gw.key!
  const sid = await link(gw, OWNER, control)
  const accepted = new Map<string, string[]>(CONTACTS.map((c) => [c, []]))
  const sends = Array.from({ length: TOTAL }, (_, i) => ({ to: CONTACTS[i % CONTACTS.length]!, text: `queued ${i}` }))
  // Sequential, so the accepted order per chat is the order of the 201s.
  for (const body of sends) {
    const res = await fetch(`${gw.url}/api/v1/sessions/${sid}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(201)
    const m = (await res.json()) as { id: string; status: string }
    expect(m.status).toBe('pending')
    accepted.get(body.to)!.push(m.id)
  }
  await waitFor('the first sends on the phones', async () => (await received()) >= 10, 20_000)
  await gw.stop('SIGKILL')
  const db = new Database(join(dir, 'wagate.db'), { readonly: true })
  const queuedAtKill = db.query<{ n: number }, []>('SELECT count(*) AS n FROM outbound_queue').get()!.n
  db.close()
  // The kill really left accepted sends unsent.
  expect(queuedAtKill).toBeGreaterThan(TOTAL / 2)

  gw = await startGateway({ dataDir: dir, env: env(sim) })
  await waitFor('all sends on the phones', async () => (await received()) >= TOTAL, 60_000)
  const boxes = await inboxes()
  for (const c of CONTACTS) {
    const got = boxes.get(c)!.map((m) => m.id)
    expect({ chat: c, ids: got }).toEqual({ chat: c, ids: accepted.get(c)! })
  }
  const after = new Database(join(dir, 'wagate.db'), { readonly: true })
  const left = after.query<{ n: number }, []>('SELECT count(*) AS n FROM outbound_queue').get()!.n
  after.close()
  expect(left).toBe(0)
}, 120_000)
