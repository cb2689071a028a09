// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real gateway binary and
// the simulator: sign in, create and link a session by QR, live status, live messages both ways, webhooks (create,
// test delivery, rotate), and what a read-only key sees. No request may leave 127.0.0.1.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { createHmac } from 'node:crypto'
import { waitFor } from '../helpers/wait.ts'
import { startDashboard, type Dashboard } from './dashboard-harness.ts'

const OWNER = '6281400000001'
const CAROL = '6281400000002'
const CHAT = `${CAROL}@s.whatsapp.net`

let d: Dashboard
let receiver: ReturnType<typeof Bun.serve>
const received: { headers: Headers; body: string }[] = []

beforeAll(async () => {
  receiver = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: async (req) => (received.push({ headers: req.headers, body: await req.text() }), new Response('ok')),
  })
  d = await startDashboard({ [OWNER]: 'Owner', [CAROL]: 'Carol' })
}, 60_000)

afterAll(async () => {
  await d?.close()
  receiver?.stop(true)
})

it('is served at / with a CSP that allows only its own origin (and blob: images and media)', async () => {
  for (const path of ['/', '/dashboard/app.js', '/dashboard/app.css']) {
    const res = await fetch(d.gw.url + path)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; base-uri 'none'; form-action 'self'; " +
        "frame-ancestors 'none'; object-src 'none'",
    )
    expect(await res.text()).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/)
  }
})

it('signs in with an API key kept in sessionStorage, not the URL', async () => {
  const { page, gw } = d
  await d.step('sign in', async () => {
    await page.goto(gw.url + '/')
    await d.shot('signin')
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
  const { page } = d
  await d.step('link', async () => {
    await page.getByLabel('Name').fill('support')
    await page.getByRole('button', { name: 'Create session' }).click()
    await page.waitForURL(/#\/link\//)
    sid = decodeURIComponent(page.url().split('#/link/')[1]!)
    const qr = await waitFor('the QR drawn', () => page.locator('#qr').getAttribute('data-qr'), 15_000)
    expect(qr).toBe((await d.api('GET', `/sessions/${sid}/qr`)).body.qr)
    await page.locator('#qr-countdown', { hasText: /expires in \d+ s/ }).waitFor()
    await d.shot('link-qr')
    expect((await d.control('POST', `/accounts/${OWNER}:scan`, { qr })).status).toBe(200)
    await page.locator('#link-state[data-status="connected"]').waitFor({ timeout: 20_000 })
    expect(await page.locator('#link-state').textContent()).toBe(`Connected as +${OWNER}.`)
    await page.getByRole('link', { name: 'Sessions' }).click()
    await page.locator(`[data-session="${sid}"] [data-status="connected"]`).waitFor()
    await page.locator('#status-connected', { hasText: '1 connected' }).waitFor()
    await d.shot('sessions')
  })
}, 40_000)

it('shows a message from a contact live, sends a typed reply, and offers no "Load older" on a short chat', async () => {
  const { page } = d
  await d.step('chat', async () => {
    expect(
      (await d.control('POST', `/accounts/${CAROL}/messages`, { to: OWNER, text: 'hello from carol' })).status,
    ).toBe(201)
    await page.locator(`[data-session="${sid}"]`).getByRole('link', { name: 'Chats' }).click()
    await page.locator(`#chats [data-chat="${CHAT}"] a`).click()
    await page.locator('#messages li.in', { hasText: 'hello from carol' }).waitFor()
    // The page of messages has arrived (the bubble above): with no next cursor there is nothing older to load.
    expect(await page.locator('#load-older').isHidden()).toBe(true)
    expect((await d.control('POST', `/accounts/${CAROL}/messages`, { to: OWNER, text: 'are you there?' })).status).toBe(
      201,
    )
    await page.locator('#messages li.in', { hasText: 'are you there?' }).waitFor()
    await page.getByRole('textbox', { name: 'Message' }).fill('yes, here')
    await page.getByRole('button', { name: 'Send' }).click()
    await page.locator('#messages li.out', { hasText: 'yes, here' }).waitFor()
    const got = await waitFor('the reply at the contact', async () => {
      const r = await d.control('GET', `/accounts/${CAROL}/messages`)
      return (r.body.data as { text?: string }[]).find((m) => m.text === 'yes, here') ?? null
    })
    expect(got.text).toBe('yes, here')
    expect(await page.locator('#load-older').isHidden()).toBe(true)
    await d.shot('chat')
  })
}, 30_000)

let firstSecret = ''
it('creates a webhook with its secret shown once and shows its test delivery', async () => {
  const { page } = d
  await d.step('webhook', async () => {
    await page.getByRole('link', { name: 'Webhooks' }).click()
    const create = page.getByRole('form', { name: 'Create a webhook' })
    await create.getByLabel('URL').fill(`http://127.0.0.1:${receiver.port}/hook`)
    await create.getByRole('button', { name: 'Create webhook' }).click()
    firstSecret = (await page.locator('#webhook-secret code', { hasText: /^whsec_/ }).textContent())!
    await page.getByRole('button', { name: 'Send test' }).click()
    await waitFor('the test delivered', () => received.some((r) => JSON.parse(r.body).type === 'webhook.test'))
    await waitFor('delivery shown as succeeded', async () => {
      await page.getByRole('button', { name: 'Deliveries' }).click()
      return (await page.locator('[data-delivery][data-status="succeeded"]', { hasText: 'webhook.test' }).count()) > 0
    })
    await page.locator('[data-delivery] .attempts li', { hasText: 'HTTP 200' }).first().waitFor()
    await d.shot('webhooks')
  })
}, 30_000)

it('rotates a webhook secret: the new one is shown once and signs the next delivery', async () => {
  const { page } = d
  await d.step('rotate', async () => {
    await page.getByRole('button', { name: 'Rotate secret' }).click()
    const shown = page.locator('#webhook-secret code', { hasText: /^whsec_/ })
    await waitFor('a new secret shown', async () => (await shown.textContent()) !== firstSecret)
    const secret = (await shown.textContent())!
    await page.locator('[data-webhook]', { hasText: 'The previous secret also signs until' }).waitFor()

    const before = received.length
    await page.getByRole('button', { name: 'Send test' }).click()
    const delivery = await waitFor('the next test delivery', () => received.slice(before)[0])
    const id = delivery.headers.get('webhook-id')!
    const ts = delivery.headers.get('webhook-timestamp')!
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64')
    const expected = 'v1,' + createHmac('sha256', key).update(`${id}.${ts}.${delivery.body}`).digest('base64')
    expect(delivery.headers.get('webhook-signature')!.split(' ')).toContain(expected)

    // Shown once: after leaving the page and coming back, no secret is on it.
    await page.getByRole('link', { name: 'Events' }).click()
    await page.getByRole('heading', { name: 'Events' }).waitFor()
    await page.getByRole('link', { name: 'Webhooks' }).click()
    await page.locator('[data-webhook]').waitFor()
    expect(await page.locator('#webhook-secret').textContent()).toBe('')
    expect(await page.locator('main').textContent()).not.toContain('whsec_')
  })
}, 30_000)

it("edits a webhook's events and enabled flag, and shows the API's refusal of a bad pattern in words", async () => {
  const { page } = d
  await d.step('edit', async () => {
    const card = page.locator('[data-webhook]')
    await card.getByText('Edit', { exact: true }).click()
    const edit = card.getByRole('form', { name: /^Edit the webhook/ })
    await edit.getByLabel('Events').fill('message.*, Not A Pattern')
    await edit.getByRole('button', { name: 'Save' }).click()
    await edit.getByRole('alert').filter({ hasText: 'invalid event pattern (validation_error, HTTP 400)' }).waitFor()
    await edit.getByLabel('Events').fill('message.*')
    await edit.getByLabel('enabled').uncheck()
    await edit.getByRole('button', { name: 'Save' }).click()
    await page.locator('[data-webhook]', { hasText: 'events: message.*' }).getByText('disabled').waitFor()
    expect((await d.api('GET', '/webhooks')).body.data).toMatchObject([{ events: ['message.*'], enabled: false }])
  })
}, 30_000)

it('shows a read-only key no send box, no attach, no follow, and no manage pages', async () => {
  const key = await d.api('POST', '/api-keys', { name: 'viewer', capabilities: ['read'] })
  expect(key.status).toBe(201)
  const viewer = await d.browser.newPage()
  await d.step(
    'read-only',
    async () => {
      await d.signIn(viewer, key.body.key)
      const nav = viewer.getByRole('navigation', { name: 'Pages' })
      expect(await nav.getByRole('link').allTextContents()).toEqual(['Sessions', 'Chats', 'Channels', 'Events'])
      await viewer.locator(`[data-session="${sid}"] [data-status="connected"]`).waitFor()
      expect(await viewer.getByRole('button', { name: 'Create session' }).count()).toBe(0)
      await viewer.goto(`${d.gw.url}/#/chats/${encodeURIComponent(sid)}/${encodeURIComponent(CHAT)}`)
      await viewer.locator('#messages li.out', { hasText: 'yes, here' }).waitFor()
      expect(await viewer.getByRole('form', { name: 'Send a message' }).count()).toBe(0)
      expect(await viewer.locator('input[type=file]').count()).toBe(0)
      await viewer.goto(`${d.gw.url}/#/channels/${encodeURIComponent(sid)}`)
      await viewer.getByRole('heading', { name: 'Channels' }).waitFor()
      await viewer.locator('#channels > *').first().waitFor()
      expect(await viewer.getByRole('button', { name: 'Follow' }).count()).toBe(0)
      expect(await viewer.getByRole('form', { name: 'Follow a channel' }).count()).toBe(0)
    },
    viewer,
  )
  await viewer.close()
}, 30_000)

it('offers Start for a stopped session, starts it from Link to show a QR, and deletes it after confirmation', async () => {
  const { page } = d
  await d.step('stopped session', async () => {
    await page.getByRole('link', { name: 'Sessions' }).click()
    await page.getByLabel('Name').fill('later')
    await page.getByLabel('start and link now').uncheck()
    await page.getByRole('button', { name: 'Create session' }).click()
    const card = page.locator('[data-session]', { hasText: 'later' })
    await card.locator('[data-status="stopped"]').waitFor()
    expect(await card.getByRole('button').allTextContents()).toEqual(['Start', 'Log out', 'Delete'])
    await card.getByRole('link', { name: 'Link' }).click()
    await page.locator('#link-state', { hasText: 'The session is stopped: start it to get a QR.' }).waitFor()
    expect(await page.locator('#qr').isHidden()).toBe(true)
    await page.getByRole('button', { name: 'Start and show the QR' }).click()
    await waitFor('the QR drawn', () => page.locator('#qr').getAttribute('data-qr'), 15_000)
    expect(await page.locator('#qr').isVisible()).toBe(true)
    await page.getByRole('link', { name: 'Sessions' }).click()
    await card.getByRole('button', { name: 'Delete' }).click() // the confirm dialog is accepted
    await card.waitFor({ state: 'detached' })
    expect((await d.api('GET', '/sessions')).body.data.map((s: { name: string }) => s.name)).toEqual(['support'])
  })
}, 30_000)

it('made no request that left 127.0.0.1', () => {
  expect(d.requested.length).toBeGreaterThan(0)
  expect(d.offHost()).toEqual([])
})
