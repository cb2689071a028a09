// Webhook SSRF: URLs the egress policy refuses are rejected when a webhook is created or changed, and an
// address that turns refused after validation (DNS rebinding) is refused at connect time, before any packet.
// Every connection made here is to a receiver on 127.0.0.1 or [::1].
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEgress } from '../../src/media/egress.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { tableLookup } from '../helpers/lookup.ts'
import { waitFor as poll } from '../helpers/wait.ts'
import { startReceiver, waitFor } from './receiver.ts'
import { eventsRig, type EventsRig } from './setup.ts'

const names = {
  'hooks.example.test': ['93.184.216.34'],
  'inside.example.test': ['10.0.0.1'],
  'metadata.example.test': ['169.254.169.254'],
}

describe('webhook URL validation (in process, default policy)', () => {
  let rig: EventsRig
  let http: ReturnType<EventsRig['http']>
  beforeAll(async () => {
    rig = await eventsRig()
    http = rig.http({}, createEgress({ lookup: tableLookup({ localhost: ['127.0.0.1'], ...names }) }))
  })
  afterAll(() => rig.close())

  const create = async (url: string) => {
    const res = await http.request('/api/v1/webhooks', { method: 'POST', json: { url, events: ['*'] } })
    return { status: res.status, body: (await res.json()) as any }
  }

  const refused: [string, string][] = [
    ['http://127.0.0.1:9/hook', '127.0.0.1 is a loopback address'],
    ['http://[::1]:9/hook', '::1 is a loopback address'],
    ['http://localhost:9/hook', 'localhost resolves to 127.0.0.1, a loopback address'],
    ['http://10.0.0.1/hook', '10.0.0.1 is a private address'],
    ['http://192.168.1.20/hook', '192.168.1.20 is a private address'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a cloud metadata address'],
    ['http://[fd00:ec2::254]/', 'fd00:ec2::254 is a cloud metadata address'],
    ['http://100.64.1.1/', '100.64.1.1 is a shared (CGNAT) address'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address'],
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://inside.example.test/hook', 'inside.example.test resolves to 10.0.0.1, a private address'],
    ['http://metadata.example.test/', 'metadata.example.test resolves to 169.254.169.254, a cloud metadata address'],
  ]
  for (const [url, why] of refused) {
    it(`refuses ${url} with 400 validation_error`, async () => {
      const { status, body } = await create(url)
      expect(status).toBe(400)
      expect(body.error).toEqual({
        code: 'validation_error',
        message: `url refused: ${why}`,
        details: { field: 'url', reason: 'refused' },
      })
    })
  }

  it('accepts a public address and a name resolving to one', async () => {
    expect((await create('https://93.184.216.34/hook')).status).toBe(201)
    expect((await create('https://hooks.example.test/hook')).status).toBe(201)
  })

  it('refuses changing a webhook to a refused URL, leaving it as it was', async () => {
    const { body: w } = await create('https://hooks.example.test/hook')
    const res = await http.request(`/api/v1/webhooks/${w.id}`, {
      method: 'PATCH',
      json: { url: 'http://169.254.169.254/' },
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as any).error.message).toBe('url refused: 169.254.169.254 is a cloud metadata address')
    expect(rig.stores.webhooks.get('acme', w.id)!.url).toBe('https://hooks.example.test/hook')
  })
})

describe('connect-time check (DNS rebinding)', () => {
  let rig: EventsRig
  const rx = startReceiver()
  // The name resolves to a public address when the webhook is created, to the receiver's 127.0.0.1 afterwards.
  let answer = ['93.184.216.34']
  const egress = createEgress({ lookup: async () => answer })
  beforeAll(async () => {
    rig = await eventsRig({ fetch: egress.fetch })
  })
  afterAll(async () => {
    await rig.close()
    rx.stop()
  })

  it('refuses :test when the name now resolves to loopback, sending nothing, and records why', async () => {
    const http = rig.http({}, egress)
    const url = `http://rebind.example.test:${rx.port}/hook`
    const created = await http.request('/api/v1/webhooks', { method: 'POST', json: { url, events: ['*'] } })
    expect(created.status).toBe(201)
    const w = (await created.json()) as any
    answer = ['127.0.0.1']
    await rig.dispatcher.start()
    const res = await http.request(`/api/v1/webhooks/${w.id}:test`, { method: 'POST' })
    expect(res.status).toBe(202)
    const d = (await res.json()) as any
    await waitFor(() => rig.stores.deliveries.get(w.id, d.id)?.status === 'failed')
    const after = rig.stores.deliveries.get(w.id, d.id)!
    expect(after.attemptCount).toBe(1)
    expect(after.attempts[0]).toMatchObject({
      statusCode: null,
      response: null,
      error: 'refused: rebind.example.test resolves to 127.0.0.1, a loopback address',
    })
    expect(rx.received).toHaveLength(0)
  })
})

describe('wagate serve with and without --egress-allow', () => {
  const dirs: string[] = []
  const gateways: GatewayProcess[] = []
  const rx4 = startReceiver()
  const rx6 = Bun.serve({ hostname: '::1', port: 0, fetch: () => new Response('v6 ok') })
  let strict: GatewayProcess
  let open: GatewayProcess
  const start = async (env: Record<string, string> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'wagate-egress-'))
    dirs.push(dir)
    const g = await startGateway({ dataDir: dir, env })
    gateways.push(g)
    return g
  }
  beforeAll(async () => {
    ;[strict, open] = await Promise.all([start(), start({ WAGATE_EGRESS_ALLOW: '127.0.0.0/8,::1' })])
  }, 30_000)
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()))
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
    rx4.stop()
    rx6.stop(true)
  })

  const api = (g: GatewayProcess, path: string, init: { method?: string; json?: unknown } = {}) =>
    fetch(g.url + path, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${g.key}`, 'content-type': 'application/json' },
      ...(init.json ? { body: JSON.stringify(init.json) } : {}),
    })
  // localhost is resolved by the gateway itself, from /etc/hosts.
  const targets = () => [
    `http://127.0.0.1:${rx4.port}/hook`,
    `http://[::1]:${rx6.port}/hook`,
    `http://localhost:${rx4.port}/hook`,
  ]

  it('refuses webhooks at 127.0.0.1, [::1] and localhost by default', async () => {
    for (const url of targets()) {
      const res = await api(strict, '/api/v1/webhooks', { method: 'POST', json: { url, events: ['*'] } })
      expect([url, res.status]).toEqual([url, 400])
      expect(((await res.json()) as any).error).toMatchObject({
        code: 'validation_error',
        details: { reason: 'refused' },
      })
    }
  })

  it('delivers to 127.0.0.1, [::1] and localhost when they are listed', async () => {
    for (const url of targets()) {
      const res = await api(open, '/api/v1/webhooks', { method: 'POST', json: { url, events: ['webhook.test'] } })
      expect([url, res.status]).toEqual([url, 201])
      const w = (await res.json()) as any
      const test = await api(open, `/api/v1/webhooks/${w.id}:test`, { method: 'POST' })
      expect(test.status).toBe(202)
      const attempt = await poll(`${url} delivered`, async () => {
        const page = (await (await api(open, `/api/v1/webhooks/${w.id}/deliveries`)).json()) as any
        return page.data[0]?.status === 'succeeded' ? page.data[0].attempts[0] : null
      })
      expect([url, attempt.statusCode]).toEqual([url, url.includes('[::1]') ? 200 : 204])
    }
  })
})
