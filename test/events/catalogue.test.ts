// The event catalogue is documented in OpenAPI as webhooks, one per type, with the Standard Webhooks headers.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { catalogue } from '../../src/events/catalogue.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await testApp()
})
afterAll(() => t.close())

it('documents every event type as an OpenAPI webhook', async () => {
  const doc = await json(await t.request('/openapi.json', { token: null }))
  expect(Object.keys(doc.webhooks).sort()).toEqual(Object.keys(catalogue).sort())
  const received = doc.webhooks['message.received'].post
  expect(received.parameters.map((p: { name: string }) => p.name)).toEqual([
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
  ])
  const schema = received.requestBody.content['application/json'].schema
  expect(schema.properties.type.const).toBe('message.received')
  // The payload is the API's Message, named once in components and referenced.
  expect(schema.properties.data).toEqual({ $ref: '#/components/schemas/Message' })
  expect(Object.keys(doc.components.schemas.Message.properties)).toContain('waMessageId')
})

it('covers at least the types the issue names', () => {
  for (const type of [
    'session.status',
    'session.qr',
    'message.received',
    'message.sent',
    'message.status',
    'message.edited',
    'message.deleted',
    'message.reaction',
    'chat.updated',
    'channel.post',
    'channel.updated',
  ])
    expect(catalogue).toHaveProperty([type])
})
