// End to end over HTTP: the real app and supervisor, the real Baileys, the simulator in-process.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { sqliteEngineStore } from '../../src/sessions/engine-store.ts'
import { createSupervisor } from '../../src/sessions/supervisor.ts'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { json, testApp, type TestApp } from '../helpers/app.ts'
import { simControl, type SimControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '6281200000001'
const ALICE = '6281200000002'
const BOB = '6281200000003'

let sim: Simulator
let t: TestApp
let sid: string

let control: SimControl

const api = (path: string, init: Parameters<TestApp['request']>[1] = {}) => t.request(`/api/v1${path}`, init)
const getJson = async (path: string) => json(await api(path))

beforeAll(async () => {
  sim = await startSimulator({ port: 0, controlPort: 0 })
  control = simControl(sim.controlUrl)
  for (const [phone, name] of [
    [OWNER, 'Gateway Owner'],
    [ALICE, 'Alice'],
    [BOB, 'Bob'],
  ]) {
    await control('POST', '/accounts', { phone, name })
  }
  t = await testApp({
    engine: ({ db, stores, logger }) =>
      createSupervisor({
        store: sqliteEngineStore(db, stores.events),
        logger,
        secretKey: Buffer.alloc(32, 9),
        waUrl: sim.wsUrl,
        rootKey: Buffer.from(sim.rootPublicKey, 'base64'),
        backoff: { baseMs: 50, capMs: 400 },
        keepAliveIntervalMs: 1_000,
        baileysLogLevel: 'silent',
      }),
  })
}, 30_000)

afterAll(async () => {
  await t.close()
  await sim.stop()
})

describe('linking a session over the API', () => {
  it('creates a session with start: true and shows a QR as JSON and as PNG', async () => {
    const res = await api('/sessions', { method: 'POST', json: { name: 'support', start: true } })
    expect(res.status).toBe(201)
    sid = (await json(res)).id
    const qr = await waitFor('a QR over the API', async () => {
      const r = await api(`/sessions/${sid}/qr`)
      return r.status === 200 ? json(r) : null
    })
    expect(qr.qr).toContain(',')
    expect(qr.expiresAt).toBeGreaterThan(Date.now())
    const png = await api(`/sessions/${sid}/qr`, { headers: { accept: 'image/png' } })
    expect(png.headers.get('content-type')).toBe('image/png')
    expect([...new Uint8Array(await png.arrayBuffer()).slice(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47])
  })

  it('reaches connected with the account phone, JID and LID after the phone scans the QR', async () => {
    const { qr } = await getJson(`/sessions/${sid}/qr`)
    expect((await control('POST', `/accounts/${OWNER}:scan`, { qr })).status).toBe(200)
    const session = await waitFor(
      'connected',
      async () => {
        const s = await getJson(`/sessions/${sid}`)
        return s.status === 'connected' ? s : null
      },
      15_000,
    )
    expect(session.phone).toBe(OWNER)
    expect(session.jid).toStartWith(OWNER)
    expect(session.lid).toEndWith('@lid')
    expect(session.connectedAt).toBeNumber()
  })

  it('answers 409 conflict for the QR once connected', async () => {
    const res = await api(`/sessions/${sid}/qr`)
    expect(res.status).toBe(409)
    expect((await json(res)).error.code).toBe('conflict')
  })
})

describe('the stored copy', () => {
  const aliceJid = `${ALICE}@s.whatsapp.net`

  it("lists a contact's message in chats and in the chat's messages with the spec fields", async () => {
    const sent = await control('POST', `/accounts/${ALICE}/messages`, { to: OWNER, text: 'hello gateway' })
    expect(sent.status).toBe(201)
    const chat = await waitFor('the chat', async () => {
      const { data } = await getJson(`/sessions/${sid}/chats`)
      return data.find((c: { jid: string; lastMessageAt: number | null }) => c.jid === aliceJid && c.lastMessageAt)
    })
    expect(chat.type).toBe('dm')
    expect(chat.unreadCount).toBeGreaterThanOrEqual(1)
    const one = await getJson(`/sessions/${sid}/chats/${encodeURIComponent(aliceJid)}`)
    expect(one.id).toBe(chat.id)
    const { data } = await getJson(`/sessions/${sid}/chats/${aliceJid}/messages`)
    const m = data.find((x: { id: string }) => x.id === sent.body.id)
    expect(m).toMatchObject({
      waMessageId: sent.body.id,
      chatJid: aliceJid,
      fromMe: false,
      direction: 'in',
      type: 'text',
      body: 'hello gateway',
      senderJid: aliceJid,
    })
    expect(m.senderLid).toEndWith('@lid')
    expect(m.timestamp).toBeGreaterThan(0)
    expect(m.createdAt).toBeGreaterThanOrEqual(m.timestamp - 60_000)
  })

  it('sends a message that reaches the contact and walks to read', async () => {
    const res = await api(`/sessions/${sid}/messages`, { method: 'POST', json: { to: ALICE, text: 'order shipped' } })
    expect(res.status).toBe(201)
    const sent = await json(res)
    expect(sent).toMatchObject({ fromMe: true, direction: 'out', body: 'order shipped', chatJid: aliceJid })
    expect(['pending', 'sent']).toContain(sent.status)
    const received = await waitFor('the contact to receive it', async () => {
      const { body } = await control('GET', `/accounts/${ALICE}/messages`)
      return body.data.find((x: { id: string }) => x.id === sent.id)
    })
    expect(received.text).toBe('order shipped')
    const read = await waitFor('status read', async () => {
      const { data } = await getJson(`/sessions/${sid}/chats/${aliceJid}/messages`)
      const m = data.find((x: { id: string }) => x.id === sent.id)
      return m?.status === 'read' ? m : null
    })
    expect(read.ackLevel).toBe(4)
  })

  it('sends nothing twice for a retried Idempotency-Key and refuses the key with another body', async () => {
    const body = { to: BOB, text: 'exactly once' }
    const headers = { 'idempotency-key': 'order-42' }
    const first = await json(await api(`/sessions/${sid}/messages`, { method: 'POST', json: body, headers }))
    const again = await api(`/sessions/${sid}/messages`, { method: 'POST', json: body, headers })
    expect(again.status).toBe(201)
    expect((await json(again)).id).toBe(first.id)
    const other = await api(`/sessions/${sid}/messages`, { method: 'POST', json: { ...body, text: 'x' }, headers })
    expect(other.status).toBe(409)
    await waitFor('delivery to Bob', async () => {
      const { body: got } = await control('GET', `/accounts/${BOB}/messages`)
      return got.data.some((x: { id: string }) => x.id === first.id)
    })
    const { body: got } = await control('GET', `/accounts/${BOB}/messages`)
    expect(got.data.filter((x: { text: string }) => x.text === 'exactly once')).toHaveLength(1)
  })

  it('answers 409 session_not_connected when sending from a stopped session', async () => {
    const stopped = await json(await api('/sessions', { method: 'POST', json: { name: 'idle' } }))
    const res = await api(`/sessions/${stopped.id}/messages`, { method: 'POST', json: { to: ALICE, text: 'x' } })
    expect(res.status).toBe(409)
    expect((await json(res)).error.code).toBe('session_not_connected')
  })
})

describe('channels over the API', () => {
  let own: string
  let news: string

  it('creates a channel and returns its jid', async () => {
    const res = await api(`/sessions/${sid}/channels`, { method: 'POST', json: { name: 'Our updates' } })
    expect(res.status).toBe(201)
    own = (await json(res)).jid
    expect(own).toMatch(/@newsletter$/)
    const res400 = await api(`/sessions/${sid}/channels`, { method: 'POST', json: { name: '' } })
    expect(res400.status).toBe(400)
  })

  it('follows a channel, stores its posts and lists them newest first with cursors', async () => {
    news = (await control('POST', '/channels', { name: 'News', owner: BOB })).body.jid
    const follow = await api(`/sessions/${sid}/channels/${encodeURIComponent(news)}:follow`, { method: 'POST' })
    expect(follow.status).toBe(204)
    expect((await api(`/sessions/${sid}/channels/${encodeURIComponent(news)}:follow`, { method: 'POST' })).status).toBe(
      204,
    )
    expect((await control('GET', `/channels/${news}`)).body.followers).toContain(OWNER)
    for (const text of ['first', 'second', 'third']) await control('POST', `/channels/${news}/posts`, { text })
    const url = `/sessions/${sid}/channels/${encodeURIComponent(news)}/messages`
    await waitFor('three posts', async () => (await getJson(`${url}?limit=200`)).data.length === 3)
    const page1 = await getJson(`${url}?limit=2`)
    const page2 = await getJson(`${url}?limit=2&cursor=${page1.nextCursor}`)
    expect([...page1.data, ...page2.data].map((m: { body: string }) => m.body)).toEqual(['third', 'second', 'first'])
    expect(page2.nextCursor).toBeNull()
  })

  it('mutes and unmutes a channel (sets, not toggles)', async () => {
    const path = `/sessions/${sid}/channels/${encodeURIComponent(news)}:mute`
    expect((await api(path, { method: 'POST' })).status).toBe(204)
    expect((await api(path, { method: 'POST' })).status).toBe(204)
    expect((await control('GET', `/channels/${news}`)).body.muted).toContain(OWNER)
    expect((await getJson(`/sessions/${sid}/channels/${encodeURIComponent(news)}`)).muted).toBe(true)
    expect((await api(path, { method: 'POST', json: { mute: false } })).status).toBe(204)
    expect((await control('GET', `/channels/${news}`)).body.muted).not.toContain(OWNER)
  })

  it('unfollows idempotently, and the next post does not arrive', async () => {
    const path = `/sessions/${sid}/channels/${encodeURIComponent(news)}:unfollow`
    expect((await api(path, { method: 'POST' })).status).toBe(204)
    expect((await api(path, { method: 'POST' })).status).toBe(204)
    expect((await control('GET', `/channels/${news}`)).body.followers).not.toContain(OWNER)
    await control('POST', `/channels/${news}/posts`, { text: 'after unfollow' })
    // The positive signal: a message Alice sends after the post reaches the stored copy, so the gateway has
    // taken in everything the network sent it before that message.
    const marker = await control('POST', `/accounts/${ALICE}/messages`, { to: OWNER, text: 'after the post' })
    await waitFor('the marker message', async () => {
      const r = await api(`/sessions/${sid}/chats/${ALICE}%40s.whatsapp.net/messages/${marker.body.id}`)
      return r.status === 200
    })
    const { data } = await getJson(`/sessions/${sid}/channels/${encodeURIComponent(news)}/messages?limit=200`)
    expect(data.map((m: { body: string }) => m.body)).not.toContain('after unfollow')
  })
})
