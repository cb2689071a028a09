// The OpenAPI document and docs UI describe the API from the routes' own schemas.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { json, testApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
let doc: any

beforeAll(async () => {
  t = await testApp()
  doc = await json(await t.request('/openapi.json', { token: null }))
})
afterAll(() => t.close())

it('serves the docs UI at /docs without auth', async () => {
  const res = await t.request('/docs', { token: null })
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/html')
})

it('documents every route of the API', () => {
  for (const path of [
    '/api/v1/sessions',
    '/api/v1/sessions/{sid}/chats',
    '/api/v1/sessions/{sid}/chats/{cid}',
    '/api/v1/sessions/{sid}/channels/{jid}/messages',
    '/api/v1/api-keys',
    '/api/v1/webhooks',
    '/api/v1/events',
  ])
    expect(Object.keys(doc.paths)).toContain(path)
})

it("carries the spec pages' descriptions on their routes", () => {
  expect(doc.paths['/api/v1/sessions/{sid}/chats'].get.summary).toBe('List chats')
  expect(doc.paths['/api/v1/sessions/{sid}/chats'].get.description).toContain('stored copy')
  expect(doc.paths['/api/v1/sessions/{sid}/channels/{jid}/messages'].get.summary).toBe('List stored channel messages')
})

it('documents the error envelope and the bearer scheme', () => {
  const chats = doc.paths['/api/v1/sessions/{sid}/chats'].get.responses
  for (const status of ['400', '401', '403', '404']) expect(chats[status]).toBeDefined()
  expect(JSON.stringify(chats['404'])).toContain('error')
  expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer')
})
