// `wagate sessions link`: a terminal QR against a running gateway, scanned by a simulated phone.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const PHONE = '6281377700001'
let sim: Simulator
let gw: GatewayProcess
let dir: string

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: 0 })
  dir = mkdtempSync(join(tmpdir(), 'wagate-link-cli-'))
  gw = await startGateway({
    dataDir: dir,
    env: { WAGATE_WA_URL: sim.wsUrl, WAGATE_WA_ROOT_KEY: sim.rootPublicKey },
  })
  await simControl(sim.controlUrl)('POST', '/accounts', { phone: PHONE, name: 'Support' })
}, 60_000)

afterAll(async () => {
  await gw?.stop()
  await sim?.stop()
  rmSync(dir, { recursive: true, force: true })
})

function link(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  return Bun.spawn(
    [process.execPath, join(import.meta.dir, '..', '..', 'src', 'main.ts'), 'sessions', 'link', ...args],
    {
      env: { ...env, WAGATE_API_KEY: gw.key! },
      stdout: 'pipe',
      stderr: 'pipe',
    },
  )
}

const api = async (path: string) =>
  (await fetch(`${gw.url}/api/v1${path}`, { headers: { authorization: `Bearer ${gw.key}` } })).json() as Promise<any>

it('prints the QR in the terminal, and exits 0 once the phone has scanned it', async () => {
  const proc = link('--name', 'support', '--url', gw.url)
  let out = ''
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  while (!out.includes('Link a device')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`link exited early:\n${out}\n${await new Response(proc.stderr).text()}`)
    out += new TextDecoder().decode(value)
  }
  // The terminal QR is drawn with half-block characters.
  expect(out).toMatch(/[▀▄█]/)
  const session = (await api('/sessions')).data.find((s: { name: string }) => s.name === 'support')
  expect(session.status).toBe('qr')
  const qr = (await api(`/sessions/${session.id}/qr`)).qr as string
  expect((await simControl(sim.controlUrl)('POST', `/accounts/${PHONE}:scan`, { qr })).status).toBe(200)
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    out += new TextDecoder().decode(value)
  }
  expect(await proc.exited).toBe(0)
  expect(out).toContain(`connected as +${PHONE}`)
  expect((await api(`/sessions/${session.id}`)).status).toBe('connected')
}, 60_000)

it('says so and exits 0 when the session is already connected', async () => {
  await waitFor('connected', async () =>
    (await api('/sessions')).data.some(
      (s: { name: string; status: string }) => s.name === 'support' && s.status === 'connected',
    ),
  )
  const proc = link('--name', 'support', '--url', gw.url)
  expect(await proc.exited).toBe(0)
  expect(await new Response(proc.stdout).text()).toContain(`is already connected as +${PHONE}`)
})

it('exits 1 with a clear message when the key is refused', async () => {
  const proc = link('--name', 'support', '--url', gw.url, '--key', 'wgk_not_a_key')
  expect(await proc.exited).toBe(1)
  expect(await new Response(proc.stderr).text()).toContain('the gateway refused the key')
})

it('exits 1 naming the address when no gateway answers', async () => {
  const proc = link('--name', 'support', '--url', 'http://127.0.0.1:9')
  expect(await proc.exited).toBe(1)
  expect(await new Response(proc.stderr).text()).toContain('cannot reach the gateway at http://127.0.0.1:9')
})
