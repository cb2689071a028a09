// wagate_http_requests_total as the HTTP layer records it: each answered request once, under its route template,
// with the status the client got — for answers a handler gave, ready Responses (the hot listings) and errors alike.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { testApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let sid: string
beforeEach(async () => {
  t = await testApp({ metrics: true })
  sid = t.stores.sessions.create({ orgId: 'acme', name: 'main' }).id
})
afterEach(() => t.close())

/** Every wagate_http_requests_total series as "status method route" → count. */
async function counts() {
  const fams = parsePrometheusTextFormat(await t.metrics!.text())
  const fam = fams.find((f) => f.name === 'wagate_http_requests_total')
  return Object.fromEntries(
    (fam?.metrics ?? []).map((m) => [`${m.labels!.status} ${m.labels!.method} ${m.labels!.route}`, Number(m.value)]),
  )
}

it('counts a served listing page (a ready Response) once, under its route template', async () => {
  expect((await t.request(`/api/v1/sessions/${sid}/chats`)).status).toBe(200)
  expect(await counts()).toEqual({ '200 GET /api/v1/sessions/:sid/chats': 1 })
})

it('counts a handler answer with its own status once', async () => {
  expect((await t.request('/api/v1/sessions', { method: 'POST', json: { name: 'second' } })).status).toBe(201)
  expect(await counts()).toEqual({ '201 POST /api/v1/sessions': 1 })
})

it('counts refused and failed requests once each, with the status they were answered', async () => {
  expect((await t.request(`/api/v1/sessions/${sid}/chats`, { token: null })).status).toBe(401)
  expect((await t.request('/api/v1/sessions/01NOPE0000000000000000000')).status).toBe(404)
  expect((await t.request(`/api/v1/sessions/${sid}/chats?limit=-1`)).status).toBe(400)
  expect(await counts()).toEqual({
    '401 GET /api/v1/sessions/:sid/chats': 1,
    '404 GET /api/v1/sessions/:sid': 1,
    '400 GET /api/v1/sessions/:sid/chats': 1,
  })
})

it('counts a path no route matches under "unmatched"', async () => {
  expect((await t.request('/api/v1/nothing-here')).status).toBe(404)
  expect(await counts()).toEqual({ '404 GET unmatched': 1 })
})

it('still answers a path no route matches with the error envelope', async () => {
  const res = await t.request('/api/v1/nothing-here', { method: 'PUT' })
  expect([res.status, await res.json()]).toEqual([
    404,
    { error: { code: 'not_found', message: 'route not found', details: {} } },
  ])
})

it('still answers a body refused before routing with the error envelope, and counts it', async () => {
  const res = await t.request('/api/v1/sessions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': String(1 << 20) },
    body: 'x'.repeat(1 << 20),
  })
  expect([res.status, await res.json()]).toEqual([
    413,
    { error: { code: 'payload_too_large', message: 'request body exceeds 65536 bytes', details: { limit: 65536 } } },
  ])
  expect(Object.keys(await counts())).toEqual(['413 POST unmatched'])
})
