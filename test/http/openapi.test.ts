// The OpenAPI document and docs UI describe the API from the routes' own schemas.
import SwaggerParser from '@apidevtools/swagger-parser'
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { customMethodsOf, documentedPath, verbPath } from '../../src/http/openapi-document.ts'
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

// Every operation of the API, as a generated client sees it: method, path, operationId. A route added, removed or
// renamed shows up here (and in the route check below) until this list says so too.
const operations = [
  'GET /healthz getHealth',
  'GET /readyz getReadiness',
  'GET /api/v1/me getMe',
  'POST /api/v1/sessions createSession',
  'GET /api/v1/sessions listSessions',
  'GET /api/v1/sessions/{sid} getSession',
  'PATCH /api/v1/sessions/{sid} updateSession',
  'DELETE /api/v1/sessions/{sid} deleteSession',
  'POST /api/v1/sessions/{sid}:start startSession',
  'POST /api/v1/sessions/{sid}:stop stopSession',
  'POST /api/v1/sessions/{sid}:restart restartSession',
  'POST /api/v1/sessions/{sid}:logout logoutSession',
  'POST /api/v1/sessions/{sid}:requestPairingCode requestPairingCode',
  'GET /api/v1/sessions/{sid}/qr getSessionQr',
  'GET /api/v1/sessions/{sid}/chats listChats',
  'GET /api/v1/sessions/{sid}/chats/{cid} getChat',
  'DELETE /api/v1/sessions/{sid}/chats/{cid} deleteChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:markRead markChatRead',
  'POST /api/v1/sessions/{sid}/chats/{cid}:markUnread markChatUnread',
  'POST /api/v1/sessions/{sid}/chats/{cid}:archive archiveChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:unarchive unarchiveChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:pin pinChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:unpin unpinChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:mute muteChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:unmute unmuteChat',
  'POST /api/v1/sessions/{sid}/chats/{cid}:typing sendTyping',
  'GET /api/v1/sessions/{sid}/chats/{cid}/messages listMessages',
  'GET /api/v1/sessions/{sid}/channels listChannels',
  'POST /api/v1/sessions/{sid}/channels createChannel',
  'GET /api/v1/sessions/{sid}/channels/{jid} getChannel',
  'POST /api/v1/sessions/{sid}/channels/{jid}:follow followChannel',
  'POST /api/v1/sessions/{sid}/channels/{jid}:unfollow unfollowChannel',
  'POST /api/v1/sessions/{sid}/channels/{jid}:mute muteChannel',
  'GET /api/v1/sessions/{sid}/channels/{jid}/messages listChannelMessages',
  'GET /api/v1/sessions/{sid}/groups listGroups',
  'POST /api/v1/sessions/{sid}/groups createGroup',
  'GET /api/v1/sessions/{sid}/groups/{gid} getGroup',
  'PATCH /api/v1/sessions/{sid}/groups/{gid} updateGroup',
  'POST /api/v1/sessions/{sid}/groups/{gid}:revokeInvite revokeGroupInvite',
  'POST /api/v1/sessions/{sid}/groups/{gid}:leave leaveGroup',
  'POST /api/v1/sessions/{sid}/groups:join joinGroup',
  'GET /api/v1/sessions/{sid}/groups/{gid}/invite getGroupInvite',
  'POST /api/v1/sessions/{sid}/groups/{gid}/participants:add addGroupParticipants',
  'POST /api/v1/sessions/{sid}/groups/{gid}/participants:remove removeGroupParticipants',
  'POST /api/v1/sessions/{sid}/groups/{gid}/participants:promote promoteGroupParticipants',
  'POST /api/v1/sessions/{sid}/groups/{gid}/participants:demote demoteGroupParticipants',
  'GET /api/v1/sessions/{sid}/contacts listContacts',
  'GET /api/v1/sessions/{sid}/contacts/{jid} getContact',
  'POST /api/v1/sessions/{sid}/contacts/{jid}:block blockContact',
  'POST /api/v1/sessions/{sid}/contacts/{jid}:unblock unblockContact',
  'POST /api/v1/sessions/{sid}/contacts/{jid}:subscribePresence subscribeContactPresence',
  'POST /api/v1/sessions/{sid}/contacts:check checkPhones',
  'GET /api/v1/sessions/{sid}/contacts/{jid}/picture getContactPicture',
  'POST /api/v1/sessions/{sid}/presence setPresence',
  'POST /api/v1/sessions/{sid}/messages sendMessage',
  'POST /api/v1/sessions/{sid}/media uploadMedia',
  'GET /api/v1/sessions/{sid}/chats/{cid}/messages/{mid}/media downloadMessageMedia',
  'GET /api/v1/sessions/{sid}/chats/{cid}/messages/{mid} getMessage',
  'PATCH /api/v1/sessions/{sid}/chats/{cid}/messages/{mid} editMessage',
  'DELETE /api/v1/sessions/{sid}/chats/{cid}/messages/{mid} deleteMessage',
  'POST /api/v1/sessions/{sid}/chats/{cid}/messages/{mid}:react reactToMessage',
  'POST /api/v1/sessions/{sid}/chats/{cid}/messages/{mid}:forward forwardMessage',
  'POST /api/v1/api-keys createApiKey',
  'GET /api/v1/api-keys listApiKeys',
  'DELETE /api/v1/api-keys/{id} revokeApiKey',
  'POST /api/v1/webhooks createWebhook',
  'GET /api/v1/webhooks listWebhooks',
  'GET /api/v1/webhooks/{id} getWebhook',
  'PATCH /api/v1/webhooks/{id} updateWebhook',
  'DELETE /api/v1/webhooks/{id} deleteWebhook',
  'POST /api/v1/webhooks/{id}:rotateSecret rotateWebhookSecret',
  'POST /api/v1/webhooks/{id}:test testWebhook',
  'GET /api/v1/webhooks/{id}/deliveries listWebhookDeliveries',
  'POST /api/v1/webhooks/{id}/deliveries/{deliveryId}:redeliver redeliverWebhookDelivery',
  'GET /api/v1/events listEvents',
  'GET /api/v1/events/stream streamEvents',
]

it('documents every operation with its operationId, and nothing else', () => {
  const documented = Object.entries(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
    ([path, item]) => Object.entries(item).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
  )
  expect(documented).toEqual(operations)
})

it('documents every registered route: one operation, or one per verb of a custom-method route', () => {
  const fromRoutes = t.app.routes
    .filter((r) => !(r.hooks as { detail?: { hide?: boolean } }).detail?.hide)
    .flatMap((r) => {
      const path = documentedPath(r.path)
      const table = customMethodsOf(r.hooks.detail)
      if (!table) return [`${r.method} ${path} ${(r.hooks.detail as { operationId?: string }).operationId}`]
      return Object.entries(table).map(([verb, m]) => `${r.method} ${verbPath(path, verb)} ${m.operationId}`)
    })
  expect(fromRoutes.toSorted()).toEqual(operations.toSorted())
})

it('gives every operation a unique camelCase operationId', () => {
  const ids = operations.map((o) => o.split(' ')[2]!)
  for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z]+$/)
  expect(new Set(ids).size).toBe(ids.length)
})

it('leaves no custom-method table and no folded verb path in the document', () => {
  const text = JSON.stringify(doc)
  expect(text).not.toContain('x-wagate-custom-methods')
  expect(Object.keys(doc.paths).filter((p) => p.includes('{*}') || p.includes('*'))).toEqual([])
})

it('documents a custom method with its own request and response schemas', () => {
  const pairing = doc.paths['/api/v1/sessions/{sid}:requestPairingCode'].post
  expect(pairing.parameters.map((p: { name: string }) => p.name)).toEqual(['sid'])
  expect(pairing.requestBody.required).toBe(true)
  expect(Object.keys(pairing.requestBody.content)).toEqual(['application/json'])
  expect(pairing.requestBody.content['application/json'].schema.required).toEqual(['phone'])
  expect(pairing.responses['200'].content['application/json'].schema.required).toEqual(['code'])
  const start = doc.paths['/api/v1/sessions/{sid}:start'].post
  expect(start.requestBody).toBeUndefined()
  expect(start.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Session' })
  expect(Object.keys(start.responses)).toEqual(['200', '400', '401', '403', '404', '409'])
  const rotate = doc.paths['/api/v1/webhooks/{id}:rotateSecret'].post
  expect(rotate.requestBody.required).toBe(false)
  expect(Object.keys(rotate.requestBody.content['application/json'].schema.properties)).toEqual(['graceSeconds'])
  expect(rotate.responses['200'].content['application/json'].schema).toEqual({
    $ref: '#/components/schemas/WebhookWithSecret',
  })
  expect(doc.paths['/api/v1/sessions/{sid}/channels/{jid}:follow'].post.responses['204']).toEqual({
    description: 'Response for status 204',
  })
})

it('documents a collection method at the collection path with only its own parameters', () => {
  const join = doc.paths['/api/v1/sessions/{sid}/groups:join'].post
  expect(join.operationId).toBe('joinGroup')
  expect(join.parameters.map((p: { name: string }) => p.name)).toEqual(['sid'])
  expect(join.requestBody.content['application/json'].schema.required).toEqual(['code'])
  expect(join.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/group' })
  const add = doc.paths['/api/v1/sessions/{sid}/groups/{gid}/participants:add'].post
  expect(add.parameters.map((p: { name: string }) => p.name)).toEqual(['sid', 'gid'])
})

it('describes JSON request bodies of the plain routes', () => {
  const create = doc.paths['/api/v1/sessions'].post.requestBody
  expect(Object.keys(create.content)).toEqual(['application/json'])
  expect(create.content['application/json'].schema.required).toEqual(['name'])
  const send = doc.paths['/api/v1/sessions/{sid}/messages'].post.requestBody
  expect(send.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SendInput' })
  expect(doc.components.schemas.SendInput.required).toEqual(['to'])
})

it('documents the Idempotency-Key header of sendMessage after its path parameter', () => {
  const params = doc.paths['/api/v1/sessions/{sid}/messages'].post.parameters
  expect(params.map((p: { in: string; name: string }) => `${p.in} ${p.name}`)).toEqual([
    'path sid',
    'header Idempotency-Key',
  ])
})

it('describes the media upload body: a multipart part named file, or the raw bytes', () => {
  const upload = doc.paths['/api/v1/sessions/{sid}/media'].post.requestBody
  expect(Object.keys(upload.content)).toEqual(['multipart/form-data', 'application/octet-stream'])
  expect(upload.content['multipart/form-data'].schema.required).toEqual(['file'])
})

it('names each shape once in components and refers to it wherever it appears', () => {
  expect(Object.keys(doc.components.schemas).toSorted()).toEqual(
    [
      'ApiKey',
      'Channel',
      'Chat',
      'GroupParticipant',
      'MediaUpload',
      'Message',
      'ParticipantResult',
      'PhoneCheck',
      'SendInput',
      'Session',
      'Webhook',
      'WebhookDelivery',
      'WebhookWithSecret',
      'contact',
      'contact.page',
      'error',
      'group',
      'group.page',
      'group.participantResults',
    ].toSorted(),
  )
  const ok = (path: string, method: string, status: string) =>
    doc.paths[path][method].responses[status].content['application/json'].schema
  expect(ok('/api/v1/sessions/{sid}/chats/{cid}/messages/{mid}', 'get', '200')).toEqual({
    $ref: '#/components/schemas/Message',
  })
  expect(ok('/api/v1/sessions/{sid}/chats', 'get', '200').properties.data.items).toEqual({
    $ref: '#/components/schemas/Chat',
  })
  const text = JSON.stringify(doc)
  // The Message shape is written out once: its description of `direction` appears in components only.
  const messageProps = Object.keys(doc.components.schemas.Message.properties)
  expect(messageProps).toContain('direction')
  expect(text.split(JSON.stringify(doc.components.schemas.Message)).length - 1).toBe(1)
  expect(doc.webhooks['message.received'].post.requestBody.content['application/json'].schema.properties.data).toEqual({
    $ref: '#/components/schemas/Message',
  })
})

it('answers a verb that is not in the table with 404', async () => {
  const sid = (await json(await t.request('/api/v1/sessions', { method: 'POST', json: { name: 'verbs' } }))).id
  const res = await t.request(`/api/v1/sessions/${sid}:explode`, { method: 'POST' })
  expect(res.status).toBe(404)
  expect((await json(res)).error).toEqual({ code: 'not_found', message: 'unknown method :explode', details: {} })
})

it("carries the spec pages' descriptions on their routes", () => {
  expect(doc.paths['/api/v1/sessions/{sid}/chats'].get.summary).toBe('List chats')
  expect(doc.paths['/api/v1/sessions/{sid}/chats'].get.description).toContain('stored copy')
  expect(doc.paths['/api/v1/sessions/{sid}/channels/{jid}/messages'].get.summary).toBe('List stored channel messages')
})

it('documents the error envelope and the bearer scheme', () => {
  const chats = doc.paths['/api/v1/sessions/{sid}/chats'].get.responses
  for (const status of ['400', '401', '403', '404']) expect(chats[status]).toBeDefined()
  expect(chats['404']).toEqual({ $ref: '#/components/responses/NotFound' })
  expect(doc.components.responses.NotFound.content['application/json'].schema).toEqual({
    $ref: '#/components/schemas/error',
  })
  expect(doc.components.responses.NotFound.description).toStartWith('`not_found`')
  expect(doc.components.securitySchemes.bearer.scheme).toBe('bearer')
})
