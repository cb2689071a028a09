// App-state sync against the real Baileys: the key share after pairing, the client's chat actions applied to the
// phone's view of its chats, and the phone's own actions reaching the client; MAC verification on and off.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { LTHashState, WAMessage } from '@whiskeysockets/baileys'
import { account, api, pairByQr, world, type Client, type World } from './harness.ts'
import { sharedSimulatorLifecycle } from './lifecycle.ts'

let w: World
let c: Client
/** A second client with app-state MAC verification on for pulled patches and snapshots. */
let strict: Client
const ME = '15554000001'
const STRICT = '15554000002'
const ALICE = '15554000003'
const BOB = '15554000004'
const jid = (phone: string) => `${phone}@s.whatsapp.net`

type ChatRow = {
  jid: string
  archived: boolean
  pinned: boolean
  mutedUntil: number | null
  unreadCount: number
  markedUnread: boolean
}

beforeAll(async () => {
  w = await world()
  await account(w.sim, ME, { name: 'Me Myself' })
  await account(w.sim, STRICT, { name: 'Strict' })
  await account(w.sim, ALICE, { name: 'Alice' })
  await account(w.sim, BOB, { name: 'Bob' })
  c = await pairByQr(w.sim, ME)
  strict = await pairByQr(w.sim, STRICT, { appStateMacVerification: { patch: true, snapshot: true } })
}, 30_000)

sharedSimulatorLifecycle(() => [c, strict])

async function chats(phone: string): Promise<ChatRow[]> {
  return (await api<{ data: ChatRow[] }>(w.sim, 'GET', `/accounts/${phone}/chats`)).body.data
}

async function waitChat(phone: string, chat: string, pred: (r: ChatRow) => boolean): Promise<ChatRow> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const row = (await chats(phone)).find((r) => r.jid === chat)
    if (row && pred(row)) return row
    if (Date.now() > deadline) throw new Error(`chat state not reached: ${JSON.stringify(row)}`)
    await Bun.sleep(20)
  }
}

/** The LTHash state a client stored for a collection. */
async function stored(client: Client, name: 'regular_low'): Promise<LTHashState> {
  const { [name]: state } = await client.auth.keys.get('app-state-sync-version', [name])
  if (!state) throw new Error(`no ${name} state stored`)
  return state
}

/** A message from `from` to `to`'s client, as the client received it. */
async function receive(client: Client, from: string, to: string, text: string): Promise<WAMessage> {
  const r = await api<{ id: string }>(w.sim, 'POST', `/accounts/${from}/messages`, { to, text })
  return client.rec.waitFor('messages.upsert', (u) => u.messages.find((m) => m.key.id === r.body.id))
}

describe('simulator app-state sync', () => {
  test('the phone shares its app-state key after pairing and seeds the push name (creds.me.name)', async () => {
    await c.rec.waitFor('creds.update', (u) => u.me?.name === 'Me Myself')
    expect(c.auth.creds.myAppStateKeyId).toEqual(expect.any(String))
    expect(c.auth.creds.me?.name).toBe('Me Myself')
  })

  test('client chat actions (archive, pin, mute, markRead) land on the phone, with the same LTHash', async () => {
    const msg = await receive(c, ALICE, ME, 'hi there')
    expect((await waitChat(ME, jid(ALICE), () => true)).unreadCount).toBe(1)
    await c.sock.chatModify({ archive: true, lastMessages: [msg] }, jid(ALICE))
    await c.sock.chatModify({ pin: true }, jid(ALICE))
    const until = Date.now() + 8 * 3_600_000
    await c.sock.chatModify({ mute: until }, jid(ALICE))
    await c.sock.chatModify({ markRead: true, lastMessages: [msg] }, jid(ALICE))
    expect((await chats(ME)).find((r) => r.jid === jid(ALICE))).toEqual({
      jid: jid(ALICE),
      archived: true,
      pinned: true,
      mutedUntil: until,
      unreadCount: 0,
      markedUnread: false,
    })
    await c.sock.chatModify({ markRead: false, lastMessages: [msg] }, jid(ALICE))
    expect((await chats(ME)).find((r) => r.jid === jid(ALICE))?.markedUnread).toBe(true)

    const server = (
      await api<Record<string, { version: number; hash: string }>>(w.sim, 'GET', `/accounts/${ME}/app-state`)
    ).body
    const mine = await stored(c, 'regular_low')
    expect(server.regular_low).toEqual({ version: mine.version, hash: Buffer.from(mine.hash).toString('base64') })
    expect(server.regular_low?.version).toBe(4)
  })

  test('client deletes a chat: gone from the phone view', async () => {
    const msg = await receive(c, BOB, ME, 'to be deleted')
    await waitChat(ME, jid(BOB), (r) => r.unreadCount === 1)
    await c.sock.chatModify({ delete: true, lastMessages: [msg] }, jid(BOB))
    expect((await chats(ME)).find((r) => r.jid === jid(BOB))).toBeUndefined()
  })

  for (const [label, client, phone] of [
    ['verification off', () => c, ME],
    ['verification on', () => strict, STRICT],
  ] as const) {
    test(`phone chat actions (archive, pin, mute, markRead, unarchive, delete) reach the client (${label})`, async () => {
      const cl = client()
      await receive(cl, BOB, phone, 'phone side')
      const chat = jid(BOB)
      const act = async (verb: string, body?: unknown) => {
        const r = await api<ChatRow>(w.sim, 'POST', `/accounts/${phone}/chats/${chat}:${verb}`, body)
        expect(r.status).toBe(200)
        return r.body
      }
      expect(await act('archive')).toMatchObject({ archived: true })
      await cl.rec.waitFor('chats.update', (u) => u.find((x) => x.id === chat && x.archived === true))
      await act('pin')
      await cl.rec.waitFor('chats.update', (u) => u.find((x) => x.id === chat && typeof x.pinned === 'number'))
      await act('mute', { until: 1_900_000_000_000 })
      await cl.rec.waitFor('chats.update', (u) => u.find((x) => x.id === chat && x.muteEndTime === 1_900_000_000_000))
      expect(await act('markRead')).toMatchObject({ unreadCount: 0 })
      await cl.rec.waitFor('chats.update', (u) => u.find((x) => x.id === chat && x.unreadCount === 0))
      await act('unarchive')
      await cl.rec.waitFor('chats.update', (u) => u.find((x) => x.id === chat && x.archived === false))
      const server = (
        await api<Record<string, { version: number; hash: string }>>(w.sim, 'GET', `/accounts/${phone}/app-state`)
      ).body
      const pulled = await stored(cl, 'regular_low')
      expect(server.regular_low?.hash).toBe(Buffer.from(pulled.hash).toString('base64'))
      expect(await act('delete')).toEqual({ jid: chat, deleted: true } as unknown as ChatRow)
      await cl.rec.waitFor('chats.delete', (ids) => ids.includes(chat))
    })
  }
})
