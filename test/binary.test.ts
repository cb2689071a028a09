// The binary is the product: build it once, run it on an empty data dir, talk to it, stop it.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startReceiver } from './events/receiver.ts'
import { buildBinary, startBinary } from './helpers/binary.ts'
import { waitFor } from './helpers/wait.ts'

const dir = mkdtempSync(join(tmpdir(), 'wagate-bin-'))
let proc: Awaited<ReturnType<typeof startBinary>>['proc']
let url = ''
let key = ''
let stdout = ''

beforeAll(async () => {
  const bin = buildBinary()
  // A stray .env and bunfig.toml in the working dir must not change the binary's behaviour.
  writeFileSync(join(dir, '.env'), 'WAGATE_PORT=1\nWAGATE_DATA_DIR=/nonexistent\n')
  writeFileSync(join(dir, 'bunfig.toml'), '[install]\nregistry = "http://127.0.0.1:1"\n')
  // Webhook receivers on this machine are allowed, as an operator would allow them.
  const started = await startBinary(bin, join(dir, 'data'), dir, ['--egress-allow', '127.0.0.0/8'])
  ;({ proc, url, stdout } = started)
  key = started.key!
}, 120_000)

afterAll(() => {
  proc?.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const get = (path: string, auth = true) =>
  fetch(url + path, auth ? { headers: { authorization: `Bearer ${key}` } } : {})

it('prints the first-start admin key once in a banner', () => {
  expect(stdout).toContain('first start')
  expect(stdout.split(key).length - 1).toBe(1)
})

it('is ready on an empty data dir', async () => {
  const res = await get('/readyz', false)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ status: 'ready' })
})

it('serves an authenticated route', async () => {
  const created = await fetch(url + '/api/v1/sessions', {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bin' }),
  })
  expect(created.status).toBe(201)
  const { id } = (await created.json()) as { id: string }
  const res = await get(`/api/v1/sessions/${id}/chats?limit=0`)
  expect(res.status).toBe(200)
  expect(await res.json()).toEqual({ data: [], nextCursor: null })
})

it('still validates queries in the compiled build', async () => {
  const res = await get('/api/v1/sessions?limit=abc')
  expect(res.status).toBe(400)
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('validation_error')
})

it('serves the embedded dashboard with its CSP', async () => {
  const page = await get('/', false)
  expect(page.status).toBe(200)
  expect(page.headers.get('content-security-policy')).toStartWith("default-src 'self';")
  expect(await page.text()).toContain('<script type="module" src="/dashboard/app.js"></script>')
  const js = await get('/dashboard/app.js', false)
  expect(js.status).toBe(200)
  expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
  expect(await js.text()).toContain('/api/v1/events/stream')
})

it('serves the embedded docs UI, no CDN', async () => {
  const page = await get('/docs', false)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('<script src="/docs/swagger-ui-bundle.js"></script>')
  const js = await get('/docs/swagger-ui-bundle.js', false)
  expect(js.status).toBe(200)
  expect((await js.text()).length).toBeGreaterThan(500_000)
})

it("delivers a webhook, signed, from the compiled build's sender thread", async () => {
  const rx = startReceiver()
  try {
    const created = await fetch(url + '/api/v1/webhooks', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: rx.url, events: ['*'] }),
    })
    expect(created.status).toBe(201)
    const hook = (await created.json()) as { id: string; secret: string }
    rx.state.secret = hook.secret
    const queued = await fetch(`${url}/api/v1/webhooks/${hook.id}:test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    })
    expect(queued.status).toBe(202)
    const delivery = (await queued.json()) as { id: string; eventId: string }
    await waitFor('the delivery', () => rx.received.length === 1)
    expect(rx.received[0]!.valid).toBe(true)
    expect(rx.received[0]!.event).toMatchObject({ id: delivery.eventId, type: 'webhook.test' })
    // The outcome came back from the sender thread and was recorded.
    const recorded = await waitFor('the delivery recorded as succeeded', async () => {
      const page = (await (await get(`/api/v1/webhooks/${hook.id}/deliveries`)).json()) as {
        data: { id: string; status: string; attempts: { statusCode: number }[] }[]
      }
      return page.data[0]?.status === 'succeeded' ? page.data[0] : null
    })
    expect(recorded).toMatchObject({ id: delivery.id, attempts: [{ statusCode: 204 }] })
  } finally {
    rx.stop()
  }
})

it('refuses a request without a token', async () => {
  expect((await get('/api/v1/sessions', false)).status).toBe(401)
})

it('exits cleanly on SIGTERM', async () => {
  proc.kill('SIGTERM')
  expect(await proc.exited).toBe(0)
})
