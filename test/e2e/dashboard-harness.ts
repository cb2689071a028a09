// The browser-test harness of the dashboard: the real gateway binary (`wagate serve`) against the simulator, and
// Debian's Chromium driven by playwright-core with the flags a closed network needs, on a phone-sized screen.
// Every request any page makes is recorded, so a test can assert that none left 127.0.0.1. A failed step saves
// a screenshot.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { startSimulator } from '../../src/simulator/index.ts'
import { startGateway } from '../helpers/gateway-process.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const CHROMIUM = '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export type Dashboard = Awaited<ReturnType<typeof startDashboard>>

/** Starts the simulator with `accounts` (phone → name), the gateway binary, and a browser with one page. */
export async function startDashboard(accounts: Record<string, string>) {
  const dirs: string[] = []
  const dir = mkdtempSync(join(tmpdir(), 'wagate-dashboard-'))
  dirs.push(dir)
  const shots = mkdtempSync(join(tmpdir(), 'wagate-dashboard-shots-'))
  const sim = await startSimulator({ port: 0, controlPort: 0 })
  const control = simControl(sim.controlUrl)
  for (const [phone, name] of Object.entries(accounts)) await control('POST', '/accounts', { phone, name })
  const caFile = join(dir, 'sim-media-ca.pem')
  writeFileSync(caFile, sim.mediaCa)
  const gw = await startGateway({
    dataDir: join(dir, 'data'),
    env: {
      WAGATE_WA_URL: sim.wsUrl,
      WAGATE_WA_ROOT_KEY: sim.rootPublicKey,
      WAGATE_WA_MEDIA_CA: caFile,
      WAGATE_EGRESS_ALLOW: '127.0.0.0/8',
    },
  })
  const profile = mkdtempSync(join(tmpdir(), 'wagate-chromium-'))
  dirs.push(profile)
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 390, height: 844 }, // a phone-sized screen
    args: CHROMIUM_ARGS,
  })
  const requested: string[] = []
  browser.on('request', (r) => requested.push(r.url()))
  browser.on('page', (p) => p.on('dialog', (d) => void d.accept().catch(() => {})))
  const page: Page = browser.pages()[0] ?? (await browser.newPage())
  page.on('dialog', (d) => void d.accept().catch(() => {}))
  console.log(`dashboard screenshots: ${shots}`)

  const api = async (method: string, path: string, body?: unknown, key = gw.key!) => {
    const res = await fetch(`${gw.url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null } as { status: number; body: any }
  }

  return {
    sim,
    gw,
    browser,
    page,
    control,
    api,
    requested,
    /** Runs a step; on failure saves a screenshot of `on` (default the first page) and prints its path. */
    async step(name: string, fn: () => Promise<void>, on: Page = page) {
      try {
        await fn()
      } catch (e) {
        const file = join(shots, `failed-${name.replace(/\W+/g, '-')}.png`)
        await on.screenshot({ path: file, fullPage: true }).catch(() => {})
        console.error(`dashboard test "${name}" failed; screenshot: ${file}`)
        throw e
      }
    },
    shot: (name: string, on: Page = page) => on.screenshot({ path: join(shots, `${name}.png`), fullPage: true }),
    /** Opens the dashboard on `p` and signs in with `key` (typed, then Enter). */
    async signIn(p: Page, key: string) {
      await p.goto(gw.url + '/')
      await p.getByLabel('API key or JWT').fill(key)
      await p.getByLabel('API key or JWT').press('Enter') // the keyboard way
      await p.getByRole('heading', { name: 'Sessions' }).waitFor()
    },
    /** Creates a session through the API and links it to `phone` by the simulator scanning its QR. */
    async linkedSession(name: string, phone: string) {
      const s = await api('POST', '/sessions', { name, start: true })
      if (s.status !== 201) throw new Error(`create session: ${JSON.stringify(s.body)}`)
      const sid = s.body.id as string
      const qr = await waitFor('the QR', async () => (await api('GET', `/sessions/${sid}/qr`)).body?.qr, 15_000)
      const scan = await control('POST', `/accounts/${phone}:scan`, { qr })
      if (scan.status !== 200) throw new Error(`scan: ${JSON.stringify(scan.body)}`)
      await waitFor(
        'the session connected',
        async () => (await api('GET', `/sessions/${sid}`)).body.status === 'connected',
        20_000,
      )
      return sid
    },
    /** Requests that left 127.0.0.1. */
    offHost: () => requested.filter((u) => new URL(u.replace(/^blob:/, '')).hostname !== '127.0.0.1'),
    async close() {
      await browser?.close()
      await gw?.stop()
      await sim?.stop()
      for (const d of dirs) rmSync(d, { recursive: true, force: true })
    },
  }
}
