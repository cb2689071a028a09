// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real gateway and the
// simulator: sign in, create and link a session by QR, live status, live messages both ways, a webhook delivery.
// Every request the page makes is recorded: none may leave 127.0.0.1.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '6281400000001'
const CAROL = '6281400000002'
const CHROMIUM = '/usr/bin/chromium'

let sim: Simulator
let gw: GatewayProcess
let browser: BrowserContext
let page: Page
let receiver: ReturnType<typeof Bun.serve>
const dirs: string[] = []
const requested: string[] = []
const received: unknown[] = []
const shots = mkdtempSync(join(tmpdir(), 'wagate-dashboard-shots-'))

const control = (method: string, path: string, body?: unknown) => simControl(sim.controlUrl)(method, path, body)
const api = async (path: string) =>
  (await fetch(`${gw.url}/api/v1${path}`, { headers: { authorization: `Bearer ${gw.key}` } })).json() as Promise<any>

/** Runs a step; on failure saves a screenshot and prints its path. */
async function step(name: string, fn: () => Promise<void>) {
  try {
    await fn()
  } catch (e) {
    const file = join(shots, `failed-${name.replace(/\W+/g, '-')}.png`)
    await page?.screenshot({ path: file, fullPage: true }).catch(() => {})
    console.error(`dashboard test "${name}" failed; screenshot: ${file}`)
    throw e
  }
}
const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-dashboard-'))
  dirs.push(dir)
  receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => (received.push(await req.json()), new Response('ok')),
  })
  sim = await startSimulator({ port: 0, controlPort: 0 })
  await control('POST', '/accounts', { phone: OWNER, name: 'Owner' })
  await control('POST', '/accounts', { phone: CAROL, name: 'Carol' })
  gw = await startGateway({
    dataDir: dir,
    env: { WAGATE_WA_URL: sim.wsUrl, WAGATE_WA_ROOT_KEY: sim.rootPublicKey, WAGATE_EGRESS_ALLOW: '127.0.0.0/8' },
  })
  const profile = mkdtempSync(join(tmpdir(), 'wagate-chromium-'))
  dirs.push(profile)
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 390, height: 844 }, // a phone-sized screen
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  browser.on('request', (r) => requested.push(r.url()))
  page = browser.pages()[0] ?? (await browser.newPage())
  page.on('dialog', (d) => void d.accept())
  console.log(`dashboard screenshots: ${shots}`)
}, 60_000)

afterAll(async () => {
  await browser?.close()
  await gw?.stop()
  await sim?.stop()
  receiver?.stop(true)
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

it('is served at / with a CSP that allows only its own origin', async () => {
  for (const path of ['/', '/dashboard/app.js', '/dashboard/app.css']) {
    const res = await fetch(gw.url + path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toStartWith("default-src 'self';")
    const text = await res.text()
    expect(text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/)
  }
})

it('signs in with an API key kept in sessionStorage, not the URL', async () => {
  await step('sign in', async () => {
    await page.goto(gw.url + '/')
    await shot('signin')
    await page.getByLabel('API key or JWT').fill(gw.key!)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Sessions' }).waitFor()
    expect(page.url()).not.toContain(gw.key!)
    expect(await page.evaluate(() => sessionStorage.getItem('wagate.token'))).toBe(gw.key)
    await page.locator('#status-ready', { hasText: 'ready' }).waitFor()
    await page.locator('#status-stream', { hasText: 'events: live' }).waitFor()
  })
}, 20_000)

let sid = ''
it('creates a session, shows its QR, and turns connected live when the simulator scans it', async () => {
  await step('link', async () => {
    await page.getByLabel('Name').fill('support')
    await page.getByRole('button', { name: 'Create session' }).click()
    await page.waitForURL(/#\/link\//)
    sid = decodeURIComponent(page.url().split('#/link/')[1]!)
    const qr = await waitFor('the QR drawn', () => page.locator('#qr').getAttribute('data-qr'), 15_000)
    expect(qr).toBe((await api(`/sessions/${sid}/qr`)).qr)
    await page.locator('#qr-countdown', { hasText: /expires in \d+ s/ }).waitFor()
    await shot('link-qr')
    expect((await control('POST', `/accounts/${OWNER}:scan`, { qr })).status).toBe(200)
    await page.locator('#link-state[data-status="connected"]').waitFor({ timeout: 20_000 })
    expect(await page.locator('#link-state').textContent()).toBe(`Connected as +${OWNER}.`)
    await page.getByRole('link', { name: 'Sessions' }).click()
    await page.locator(`[data-session="${sid}"] [data-status="connected"]`).waitFor()
    await page.locator('#status-connected', { hasText: '1 connected' }).waitFor()
    await shot('sessions')
  })
}, 40_000)

it('shows a message from a contact live, and sends a reply typed in the send box', async () => {
  await step('chat', async () => {
    const chat = `${CAROL}@s.whatsapp.net`
    await page.locator(`[data-session="${sid}"]`).getByRole('link', { name: 'Chats' }).click()
    await page.locator('#chats li').first().waitFor()
    const sent = await control('POST', `/accounts/${CAROL}/messages`, { to: OWNER, text: 'hello from carol' })
    expect(sent.status).toBe(201)
    await page.getByRole('link', { name: chat }).click()
    await page.locator('#messages li.in', { hasText: 'hello from carol' }).waitFor()
    expect((await control('POST', `/accounts/${CAROL}/messages`, { to: OWNER, text: 'are you there?' })).status).toBe(
      201,
    )
    await page.locator('#messages li.in', { hasText: 'are you there?' }).waitFor()
    await page.getByRole('textbox', { name: 'Message' }).fill('yes, here')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('#messages li.out', { hasText: 'yes, here' }).waitFor()
    const got = await waitFor('the reply at the contact', async () => {
      const r = await control('GET', `/accounts/${CAROL}/messages`)
      return (r.body.data as { text?: string }[]).find((m) => m.text === 'yes, here') ?? null
    })
    expect(got.text).toBe('yes, here')
    await shot('chat')
  })
}, 30_000)

it('creates a webhook with its secret shown once and shows its test delivery', async () => {
  await step('webhook', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click()
    await page.getByLabel('URL').fill(`http://127.0.0.1:${receiver.port}/hook`)
    await page.getByRole('button', { name: 'Create webhook' }).click()
    await page.locator('#webhook-secret code', { hasText: /^whsec_/ }).waitFor()
    await page.getByRole('button', { name: 'Send test' }).click()
    await waitFor('the test delivered', () => received.some((b: any) => b.type === 'webhook.test'))
    await waitFor('delivery shown as succeeded', async () => {
      await page.getByRole('button', { name: 'Deliveries' }).click()
      return (await page.locator('[data-delivery][data-status="succeeded"]', { hasText: 'webhook.test' }).count()) > 0
    })
    await shot('webhooks')
  })
}, 30_000)

it('made no request that left 127.0.0.1', () => {
  expect(requested.length).toBeGreaterThan(0)
  expect(requested.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([])
})
