// Every error path answers the envelope; a property test throws random requests and finds no 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { contractViolation, fuzzRequests } from '../helpers/fuzz-requests.ts'

let t: TestApp
let sid: string

beforeAll(async () => {
  t = await testApp()
  sid = t.stores.sessions.create({ orgId: 'acme', name: 'fuzz' }).id
})
afterAll(() => t.close())

function expectEnvelope(status: number, body: unknown) {
  expect(status).toBeLessThan(500)
  const e = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error
  expect(typeof e?.code).toBe('string')
  expect(typeof e?.message).toBe('string')
  expect(typeof e?.details).toBe('object')
  expect(JSON.stringify(body)).not.toMatch(/at .+\.ts:\d+|node_modules/)
}

describe('the envelope', () => {
  const cases: [string, string, RequestInit & { token?: string | null }][] = [
    ['an unknown route', '/api/v1/nothing-here', {}],
    ['an unknown method on a known path', '/api/v1/sessions', { method: 'PUT' }],
    [
      'malformed JSON',
      '/api/v1/sessions',
      { method: 'POST', body: '{"name":', headers: { 'content-type': 'application/json' } },
    ],
    [
      'a schema failure',
      '/api/v1/sessions',
      { method: 'POST', body: '{"name":5}', headers: { 'content-type': 'application/json' } },
    ],
    [
      'an oversize body',
      '/api/v1/sessions',
      { method: 'POST', body: 'x'.repeat(70_000), headers: { 'content-type': 'application/json' } },
    ],
    ['a bad percent-encoding', `/api/v1/sessions/%E0%A4%A/chats`, {}],
    ['an unknown custom method', `/api/v1/sessions/{sid}:explode`, { method: 'POST' }],
    ['a missing session', '/api/v1/sessions/01J9ZX8K2QHV0M3T6R7P4N5W8C/chats', {}],
    ['a missing chat', `/api/v1/sessions/{sid}/chats/1%40s.whatsapp.net`, {}],
    ['no principal', '/api/v1/sessions', { token: null }],
  ]
  for (const [name, path, init] of cases) {
    it(`answers ${name} with the error envelope`, async () => {
      const res = await t.request(path.replace('{sid}', sid), init)
      expect(res.status).toBeGreaterThanOrEqual(400)
      expectEnvelope(res.status, await res.json())
    })
  }

  it('answers a schema failure with 400 validation_error naming the field', async () => {
    const res = await t.request('/api/v1/sessions', { method: 'POST', json: { name: 5 } })
    const body = await json(res)
    expect(res.status).toBe(400)
    expect(body.error.code).toBe('validation_error')
    expect(JSON.stringify(body.error.details)).toContain('name')
  })

  it('answers an oversize body with 413 payload_too_large', async () => {
    const res = await t.request('/api/v1/sessions', { method: 'POST', json: { name: 'x'.repeat(70_000) } })
    expect(res.status).toBe(413)
    expect((await json(res)).error.code).toBe('payload_too_large')
  })

  it('writes nothing for a rejected request', async () => {
    const before = t.stores.sessions.page('acme', { limit: 200 }).data.length
    await t.request('/api/v1/sessions', { method: 'POST', json: { name: '' } })
    await t.request('/api/v1/sessions', { method: 'POST', json: { name: 'ok', metadata: 'not-an-object' } })
    expect(t.stores.sessions.page('acme', { limit: 200 }).data.length).toBe(before)
  })
})

it('answers random requests with no 5xx and only enveloped errors', async () => {
  const ctx = {
    sid,
    adminKey: t.admin,
    readKey: t.key(['read']),
    cursor: t.stores.sessions.page('acme', { limit: 1 }).nextCursor ?? 'x.y',
    maxBodyBytes: 64 * 1024,
  }
  t.stores.sessions.create({ orgId: 'acme', name: 'second' })
  const violations: string[] = []
  for (const r of fuzzRequests(ctx, 20261122, 1500)) {
    let req: Request
    try {
      req = new Request(`http://localhost${r.path}`, { method: r.method, headers: r.headers, body: r.body ?? null })
    } catch {
      continue // not a request a client could send
    }
    const res = await t.app.handle(req)
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel()
      continue
    }
    const text = await res.text()
    const broken = r.method === 'HEAD' ? null : contractViolation(res.status, res.headers.get('content-type'), text)
    if (broken || res.status >= 500) violations.push(`${r.method} ${r.path.slice(0, 100)} → ${res.status}: ${broken}`)
  }
  expect(violations).toEqual([])
}, 30_000) // 1,500 requests: several seconds on a shared 2-core machine
