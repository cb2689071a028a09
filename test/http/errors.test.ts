// Every error path answers the envelope; a property test throws random requests and finds no 5xx.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import fc from 'fast-check'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { routes } from '../helpers/routes.ts'

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

const segment = fc.oneof(
  fc.constantFrom('api', 'v1', 'sessions', 'chats', 'channels', 'messages', 'qr', 'api-keys', '..', '.', ''),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '120363012345678901%40newsletter:follow',
    'a:b:c',
    '6281%40s.whatsapp.net',
  ),
)
const query = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'x', 'limit[]'),
  fc.oneof(
    fc.integer().map(String),
    fc.string({ maxLength: 40 }),
    fc.constantFrom('-0', '1e9', 'NaN', '0x10', 'eyJ.x'),
  ),
  { maxKeys: 3 },
)
const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{"name":"x","start":"yes"}', '{"to":"123","text":""}', '[]', 'null', '{"mute":"no"}'),
)

it('answers random requests with no 5xx and only enveloped errors', async () => {
  const templates = routes.map((r) => r.path)
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS'),
        path: fc.oneof(
          fc.array(segment, { maxLength: 7 }).map((s) => '/' + s.join('/')),
          fc.constantFrom(...templates).map((p) => p.replace('{sid}', sid).replace('{key}', 'nope')),
          fc.tuple(fc.constantFrom(...templates), segment).map(([p, s]) => p.replace('{sid}', s).replace('{key}', s)),
        ),
        query,
        body,
        contentType: fc.constantFrom(
          'application/json',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data',
          '',
        ),
        token: fc.constantFrom('admin', 'none', 'garbage', 'Basic x'),
      }),
      async (r) => {
        const qs = new URLSearchParams(r.query).toString()
        const headers = new Headers()
        if (r.contentType) headers.set('content-type', r.contentType)
        if (r.token === 'admin') headers.set('authorization', `Bearer ${t.admin}`)
        else if (r.token === 'garbage') headers.set('authorization', 'Bearer x.y.z')
        else if (r.token === 'Basic x') headers.set('authorization', 'Basic x')
        const hasBody = r.body !== undefined && !['GET', 'OPTIONS'].includes(r.method)
        let res: Response
        try {
          res = await t.app.handle(
            new Request(`http://localhost${r.path}${qs ? `?${qs}` : ''}`, {
              method: r.method,
              headers,
              ...(hasBody ? { body: typeof r.body === 'string' ? r.body : JSON.stringify(r.body) } : {}),
            }),
          )
        } catch {
          return // the URL itself was unparseable: no request reached the app
        }
        expect(res.status).toBeLessThan(500)
        if (res.status >= 400) expectEnvelope(res.status, await res.json())
      },
    ),
    { numRuns: 1500, seed: 20261122 },
  )
})
