// /metrics on a running gateway: Prometheus text a parser accepts, counters that move as messages flow, and
// the optional bearer token.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '6281388800001'
const ALICE = '6281388800002'
const TOKEN = 'metrics-token-0123456789'
let sim: Simulator
let gw: GatewayProcess
let dir: string
let sid: string

const api = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${gw.url}/api/v1${path}`, {
    ...init,
    headers: { authorization: `Bearer ${gw.key}`, 'content-type': 'application/json' },
  })
  return { status: res.status, body: (await res.json()) as any }
}

async function scrape() {
  const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toStartWith('text/plain; version=0.0.4')
  return parsePrometheusTextFormat(await res.text())
}

const family = (fams: Awaited<ReturnType<typeof scrape>>, name: string) => {
  const f = fams.find((x) => x.name === name)
  if (!f) throw new Error(`no metric ${name}`)
  return f
}
const valueOf = (fams: Awaited<ReturnType<typeof scrape>>, name: string, labels: Record<string, string> = {}) =>
  Number(
    family(fams, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))?.value ?? NaN,
  )

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: 0 })
  dir = mkdtempSync(join(tmpdir(), 'wagate-metrics-'))
  gw = await startGateway({
    dataDir: dir,
    env: {
      WAGATE_WA_URL: sim.wsUrl,
      WAGATE_WA_ROOT_KEY: sim.rootPublicKey,
      WAGATE_METRICS_TOKEN: TOKEN,
      WAGATE_EGRESS_ALLOW: '127.0.0.0/8',
    },
  })
  const control = simControl(sim.controlUrl)
  await control('POST', '/accounts', { phone: OWNER, name: 'Owner' })
  await control('POST', '/accounts', { phone: ALICE, name: 'Alice' })
  sid = (await api('/sessions', { method: 'POST', body: JSON.stringify({ name: 'metrics', start: true }) })).body.id
  const qr = await waitFor('QR', async () => {
    const r = await api(`/sessions/${sid}/qr`)
    return r.status === 200 ? (r.body.qr as string) : null
  })
  expect((await control('POST', `/accounts/${OWNER}:scan`, { qr })).status).toBe(200)
  await waitFor('connected', async () => (await api(`/sessions/${sid}`)).body.status === 'connected', 15_000)
}, 60_000)

afterAll(async () => {
  await gw?.stop()
  await sim?.stop()
  rmSync(dir, { recursive: true, force: true })
})

it('refuses /metrics without the configured token', async () => {
  const res = await fetch(`${gw.url}/metrics`)
  expect(res.status).toBe(401)
  expect(((await res.json()) as any).error.code).toBe('unauthorized')
  expect((await fetch(`${gw.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-000000' } })).status).toBe(
    401,
  )
})

it('serves every documented family in a text format a Prometheus parser reads', async () => {
  const names = new Set((await scrape()).map((f) => f.name))
  for (const n of [
    'wagate_sessions',
    'wagate_messages_total',
    'wagate_events_total',
    'wagate_ingest_commit_seconds',
    'wagate_webhook_deliveries_total',
    'wagate_webhook_delivery_lag_seconds',
    'wagate_outbox_backlog',
    'wagate_sse_clients',
    'wagate_http_requests_total',
    'wagate_http_request_duration_seconds',
    'wagate_send_queue_depth',
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_eventloop_lag_seconds',
  ])
    expect(names).toContain(n)
})

it('counts sessions by status', async () => {
  const fams = await scrape()
  expect(valueOf(fams, 'wagate_sessions', { status: 'connected' })).toBe(1)
  expect(valueOf(fams, 'wagate_sessions', { status: 'stopped' })).toBe(0)
})

it('moves the received-messages counter and the commit histogram as messages arrive', async () => {
  const before = await scrape()
  const received = valueOf(before, 'wagate_messages_total', { direction: 'received' })
  const commits = Number(family(before, 'wagate_ingest_commit_seconds').metrics[0]!.count)
  const sent = await simControl(sim.controlUrl)('POST', `/accounts/${ALICE}/messages`, {
    to: OWNER,
    text: 'hi',
    count: 3,
  })
  expect(sent.status).toBe(201)
  await waitFor('3 stored', async () => (await api(`/sessions/${sid}/chats`)).body.data[0]?.unreadCount === 3)
  const after = await scrape()
  expect(valueOf(after, 'wagate_messages_total', { direction: 'received' })).toBe(received + 3)
  expect(valueOf(after, 'wagate_events_total', { type: 'message.received' })).toBeGreaterThanOrEqual(3)
  expect(Number(family(after, 'wagate_ingest_commit_seconds').metrics[0]!.count)).toBeGreaterThan(commits)
})

it('labels HTTP requests with the route template, never the raw path', async () => {
  await api(`/sessions/${sid}`)
  await api('/sessions/01NOPE0000000000000000000')
  const fams = await scrape()
  expect(
    valueOf(fams, 'wagate_http_requests_total', { route: '/api/v1/sessions/:sid', method: 'GET', status: '200' }),
  ).toBeGreaterThanOrEqual(1)
  expect(
    valueOf(fams, 'wagate_http_requests_total', { route: '/api/v1/sessions/:sid', method: 'GET', status: '404' }),
  ).toBe(1)
  const routes = family(fams, 'wagate_http_requests_total').metrics.map((m) => m.labels!.route!)
  expect(routes.some((r) => r.includes(sid))).toBe(false)
})

it('counts each answered request once, with its status, whether it succeeded or failed', async () => {
  const count = async (status: string) =>
    valueOf(await scrape(), 'wagate_http_requests_total', {
      route: '/api/v1/sessions/:sid/chats',
      method: 'GET',
      status,
    }) || 0
  const [ok, unauthorized] = [await count('200'), await count('401')]
  await api(`/sessions/${sid}/chats`)
  await fetch(`${gw.url}/api/v1/sessions/${sid}/chats`, { headers: { authorization: 'Bearer wgk_nope' } })
  expect([(await count('200')) - ok, (await count('401')) - unauthorized]).toEqual([1, 1])
})

it('counts webhook deliveries by outcome and observes their lag', async () => {
  let received = 0
  const receiver = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => (received++, new Response('ok')) })
  try {
    const hook = await api('/webhooks', {
      method: 'POST',
      body: JSON.stringify({ url: `http://127.0.0.1:${receiver.port}/hook`, events: ['message.received'] }),
    })
    expect(hook.status).toBe(201)
    const before = await scrape()
    const succeeded = valueOf(before, 'wagate_webhook_deliveries_total', { outcome: 'succeeded' }) || 0
    const lagCount = Number(family(before, 'wagate_webhook_delivery_lag_seconds').metrics[0]!.count)
    await simControl(sim.controlUrl)('POST', `/accounts/${ALICE}/messages`, { to: OWNER, text: 'hook', count: 2 })
    await waitFor('2 deliveries', () => received >= 2)
    const after = await waitFor('counted', async () => {
      const f = await scrape()
      return valueOf(f, 'wagate_webhook_deliveries_total', { outcome: 'succeeded' }) >= succeeded + 2 ? f : null
    })
    expect(valueOf(after, 'wagate_webhook_deliveries_total', { outcome: 'succeeded' })).toBe(succeeded + 2)
    expect(Number(family(after, 'wagate_webhook_delivery_lag_seconds').metrics[0]!.count)).toBe(lagCount + 2)
  } finally {
    receiver.stop(true)
  }
})

it('counts connected live-stream clients', async () => {
  const ac = new AbortController()
  const res = await fetch(`${gw.url}/api/v1/events/stream`, {
    headers: { authorization: `Bearer ${gw.key}` },
    signal: ac.signal,
  })
  expect(res.status).toBe(200)
  try {
    expect(valueOf(await scrape(), 'wagate_sse_clients')).toBe(1)
  } finally {
    ac.abort()
  }
})
