// The OpenAPI document and docs UI describe the API from the routes' own schemas.
import SwaggerParser from '@apidevtools/swagger-parser'
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

it('serves the docs UI offline: every asset from this origin, scripts only from self', async () => {
  const html = await (await t.request('/docs', { token: null })).text()
  const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1])
  expect(refs).toEqual(['/docs/swagger-ui.css', '/docs/swagger-ui-bundle.js', '/docs/start.js'])
  expect(html).not.toMatch(/https?:\/\//)
  for (const [path, type] of [
    ['/docs', 'text/html'],
    ['/docs/swagger-ui.css', 'text/css'],
    ['/docs/swagger-ui-bundle.js', 'text/javascript'],
    ['/docs/start.js', 'text/javascript'],
  ] as const) {
    const res = await t.request(path, { token: null })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toStartWith(type)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self';")
  }
  const start = await (await t.request('/docs/start.js', { token: null })).text()
  expect(start).toContain("url: '/openapi.json'")
})

it('is a valid OpenAPI document', async () => {
  // validate() dereferences in place: give it a copy.
  const api = await SwaggerParser.validate(structuredClone(doc))
  expect((api as { openapi: string }).openapi).toBe('3.1.2')
})

it('documents a 204 response without a body', () => {
  expect(doc.paths['/api/v1/webhooks/{id}'].delete.responses['204']).toEqual({ description: 'Response for status 204' })
})

it('documents every registered route, and nothing else', () => {
  const registered = t.app.routes
    .filter((r) => !(r.hooks as { detail?: { hide?: boolean } }).detail?.hide)
    .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([^/]+)/g, '{$1}')}`)
    .sort()
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`))
    .sort()
  expect(registered.length).toBeGreaterThan(30)
  expect(documented).toEqual(registered)
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
