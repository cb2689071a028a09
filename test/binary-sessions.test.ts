// The binary loads Baileys only when a session needs a socket (src/sessions/deferred.ts): this drives the compiled
// build through that path against the simulator: a session linked by QR, then restored by a restart.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../src/simulator/index.ts'
import { buildBinary, startBinary } from './helpers/binary.ts'
import { simControl } from './helpers/sim-control.ts'
import { waitFor } from './helpers/wait.ts'

const PHONE = '15551390001'
const dir = mkdtempSync(join(tmpdir(), 'wagate-bin-sessions-'))
let sim: Simulator
let bin = ''
let gw: Awaited<ReturnType<typeof startBinary>> | null = null
let key = ''
let sid = ''

beforeAll(async () => {
  bin = buildBinary()
  sim = await startSimulator({ port: 0, controlPort: 0 })
  await simControl(sim.controlUrl)('POST', '/accounts', { phone: PHONE, name: 'Bin' })
}, 120_000)

afterAll(async () => {
  gw?.proc.kill('SIGKILL')
  await sim?.stop()
  rmSync(dir, { recursive: true, force: true })
})

const start = () =>
  startBinary(bin, join(dir, 'data'), dir, ['--wa-url', sim.wsUrl, '--wa-root-key', sim.rootPublicKey])
const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${gw!.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as any }
}
const status = async () => (await api('GET', `/sessions/${sid}`)).body.status as string

it('links a session by QR: the first start loads the socket engine', async () => {
  gw = await start()
  key = gw.key!
  sid = (await api('POST', '/sessions', { name: 'bin' })).body.id
  expect((await api('POST', `/sessions/${sid}:start`)).status).toBe(200)
  const qr = await waitFor('a QR', async () => (await api('GET', `/sessions/${sid}/qr`)).body.qr as string, 20_000)
  expect((await simControl(sim.controlUrl)('POST', `/accounts/${PHONE}:scan`, { qr })).status).toBe(200)
  await waitFor('connected', async () => (await status()) === 'connected', 20_000)
  expect((await api('GET', `/sessions/${sid}`)).body.phone).toBe(PHONE)
}, 60_000)

it('restores the linked session after a restart, without a new QR', async () => {
  gw!.proc.kill('SIGTERM')
  expect(await gw!.proc.exited).toBe(0)
  gw = await start()
  await waitFor('connected after the restart', async () => (await status()) === 'connected', 20_000)
  const qr = await api('GET', `/sessions/${sid}/qr`)
  expect(qr.status).toBe(409)
  expect(qr.body.error.code).toBe('conflict')
}, 60_000)
