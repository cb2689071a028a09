// The typed client (`wagate/client`) against a running gateway: `wagate serve` as a child process on 127.0.0.1,
// the simulator as WhatsApp. Every call below goes through openapi-fetch and the generated types.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createWagateClient, type Schemas, type WagateClient } from 'wagate/client'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { simControl, type SimControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '6281377700001'
const ALICE = '6281377700002'
const aliceJid = `${ALICE}@s.whatsapp.net`

let sim: Simulator
let control: SimControl
let gw: GatewayProcess
let dir: string
let client: WagateClient
let receiver: ReturnType<typeof Bun.serve>
let sid: string
let sentId: string
const sentIds: string[] = []

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: 0 })
  control = simControl(sim.controlUrl)
  await control('POST', '/accounts', { phone: OWNER, name: 'Owner' })
  await control('POST', '/accounts', { phone: ALICE, name: 'Alice' })
  dir = mkdtempSync(join(tmpdir(), 'wagate-client-'))
  gw = await startGateway({
    dataDir: dir,
    env: { WAGATE_WA_URL: sim.wsUrl, WAGATE_WA_ROOT_KEY: sim.rootPublicKey, WAGATE_EGRESS_ALLOW: '127.0.0.0/8' },
  })
  receiver = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response(null, { status: 204 }) })
  client = createWagateClient({ baseUrl: `${gw.url}/`, token: gw.key! })
}, 60_000)

afterAll(async () => {
  await gw?.stop()
  await sim?.stop()
  receiver?.stop(true)
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const path = () => ({ params: { path: { sid } } })

it('creates a session (createSession) and starts it (startSession, POST …/{sid}:start)', async () => {
  const created = await client.POST('/api/v1/sessions', { body: { name: 'typed' } })
  expect(created.response.status).toBe(201)
  expect(created.data!.status).toBe('stopped')
  sid = created.data!.id
  const started = await client.POST('/api/v1/sessions/{sid}:start', path())
  expect(started.response.status).toBe(200)
  expect(started.response.url).toBe(`${gw.url}/api/v1/sessions/${sid}:start`)
  expect(started.data!.id).toBe(sid)
  expect(['starting', 'qr']).toContain(started.data!.status)
})

it('links it: the QR from getSessionQr, scanned by the phone, brings getSession to connected', async () => {
  const qr = await waitFor('a QR', async () => (await client.GET('/api/v1/sessions/{sid}/qr', path())).data)
  expect((await control('POST', `/accounts/${OWNER}:scan`, { qr: (qr as { qr: string }).qr })).status).toBe(200)
  const session: Schemas['Session'] = await waitFor(
    'connected',
    async () => {
      const { data } = await client.GET('/api/v1/sessions/{sid}', path())
      return data?.status === 'connected' ? data : null
    },
    15_000,
  )
  expect(session.phone).toBe(OWNER)
})

it('sends a text with sendMessage that reaches the contact', async () => {
  const sent = await client.POST('/api/v1/sessions/{sid}/messages', {
    ...path(),
    body: { to: ALICE, text: 'hello from the typed client' },
  })
  expect(sent.response.status).toBe(201)
  expect(sent.data).toMatchObject({ direction: 'out', chatJid: aliceJid, body: 'hello from the typed client' })
  sentId = sent.data!.id
  const got = await waitFor('Alice receives it', async () => {
    const inbox = (await control('GET', `/accounts/${ALICE}/messages`)).body.data as { id: string; text: string }[]
    return inbox.find((m) => m.id === sent.data!.id)
  })
  expect(got.text).toBe('hello from the typed client')
})

it('answers a repeated Idempotency-Key (a typed header parameter) with the first send', async () => {
  const send = () =>
    client.POST('/api/v1/sessions/{sid}/messages', {
      params: { path: { sid }, header: { 'Idempotency-Key': 'client-e2e-1' } },
      body: { to: ALICE, text: 'once only' },
    })
  const first = await send()
  const again = await send()
  expect(first.response.status).toBe(201)
  expect(again.response.status).toBe(201)
  expect(again.data!.id).toBe(first.data!.id)
  sentIds.push(first.data!.id)
})

it("lists chats (listChats) and pages a chat's messages (listMessages) with the cursor, JID percent-encoded", async () => {
  const incoming = (await control('POST', `/accounts/${ALICE}/messages`, { to: OWNER, text: 'page me', count: 4 })).body
    .data as { id: string }[]
  const messages = { params: { path: { sid, cid: aliceJid }, query: { limit: 2 } } }
  await waitFor('the four messages stored', async () => {
    const { data } = await client.GET('/api/v1/sessions/{sid}/chats/{cid}/messages', {
      params: { path: { sid, cid: aliceJid }, query: { limit: 10 } },
    })
    return (data?.data.length ?? 0) >= 6
  })
  const chats = await client.GET('/api/v1/sessions/{sid}/chats', path())
  expect(chats.data!.data.map((c) => c.jid)).toContain(aliceJid)
  const pages: string[][] = []
  let cursor: string | undefined
  do {
    const page = await client.GET('/api/v1/sessions/{sid}/chats/{cid}/messages', {
      params: { ...messages.params, query: { limit: 2, ...(cursor ? { cursor } : {}) } },
    })
    expect(page.response.url).toContain(`/chats/${ALICE}%40s.whatsapp.net/messages?`)
    pages.push(page.data!.data.map((m) => m.id))
    cursor = page.data!.nextCursor ?? undefined
  } while (cursor)
  expect(pages.map((p) => p.length)).toEqual([2, 2, 2])
  expect(pages.flat().toSorted()).toEqual([sentId, ...sentIds, ...incoming.map((m) => m.id)].toSorted())
})

it('marks the chat read with markChatRead (POST …/chats/{cid}:markRead, the JID encoded before the verb)', async () => {
  const read = await client.POST('/api/v1/sessions/{sid}/chats/{cid}:markRead', {
    params: { path: { sid, cid: aliceJid } },
  })
  expect(read.response.url).toBe(`${gw.url}/api/v1/sessions/${sid}/chats/${ALICE}%40s.whatsapp.net:markRead`)
  expect(read.response.status).toBe(200)
  expect(read.data).toMatchObject({ jid: aliceJid, unreadCount: 0 })
})

it('creates a webhook (createWebhook) and rotates its secret (rotateWebhookSecret), the old one kept for the grace', async () => {
  const created = await client.POST('/api/v1/webhooks', {
    body: { url: `http://127.0.0.1:${receiver.port}/hook`, events: ['message.*'] },
  })
  expect(created.response.status).toBe(201)
  const before = Date.now()
  const rotated = await client.POST('/api/v1/webhooks/{id}:rotateSecret', {
    params: { path: { id: created.data!.id } },
    body: { graceSeconds: 60 },
  })
  expect(rotated.response.status).toBe(200)
  expect(rotated.data!.secret).toStartWith('whsec_')
  expect(rotated.data!.secret).not.toBe(created.data!.secret)
  expect(rotated.data!.previousSecretExpiresAt).toBeGreaterThanOrEqual(before + 60_000)
  expect(rotated.data!.previousSecretExpiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
})

it('returns the typed error envelope: 404 not_found for a session that does not exist', async () => {
  const missing = await client.GET('/api/v1/sessions/{sid}', { params: { path: { sid: 'ses_missing' } } })
  expect(missing.response.status).toBe(404)
  expect(missing.data).toBeUndefined()
  expect(missing.error!.error.code).toBe('not_found')
})

it('returns the typed error envelope: 400 validation_error for a body the schema refuses', async () => {
  const bad = await client.POST('/api/v1/sessions/{sid}:requestPairingCode', {
    ...path(),
    body: { phone: 'not a phone' },
  })
  expect(bad.response.status).toBe(400)
  expect(bad.error!.error.code).toBe('validation_error')
})
