// One chat per person: a DM addressed by LID is kept in the phone-number chat once the PN↔LID mapping is known,
// and a LID chat stored before that joins the PN chat when the mapping is learned.
import { describe, expect, it } from 'bun:test'
import type { BaileysEventMap, WAMessage } from '@whiskeysockets/baileys'
import { createChatStore } from '../../src/store/chats.ts'
import { mergeKnownLidChats } from '../../src/store/chats-sql.ts'
import { createCursorCodec } from '../../src/store/cursor.ts'
import { createMessageStore } from '../../src/store/messages.ts'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, eventsOf, type Harness, me, useIngest } from './fixture.ts'

let h: Harness
const BOB_LID = '900000000002@lid'
const T = 1_700_000_000
const codec = createCursorCodec(new Uint8Array(32))

const apply = (events: Partial<BaileysEventMap>) => h.ingest.batch('s', toBatch(events, me))
// A plain object, as Baileys emits it: `remoteJidAlt` is not a protobuf field.
const msg = (id: string, key: object, at: number) =>
  <WAMessage>{ key: { fromMe: false, id, ...key }, messageTimestamp: at, message: { conversation: `text ${id}` } }
const receive = (...messages: WAMessage[]) => apply({ 'messages.upsert': { messages, type: 'notify' } })
const learn = () => apply({ 'lid-mapping.update': { lid: BOB_LID, pn: BOB } })
const chats = async () => await h.all('SELECT id, jid FROM chats ORDER BY id')
const messages = async () => await h.all('SELECT wa_id, chat_jid, sender_jid, sender_lid FROM messages ORDER BY pk')
const served = (jid: string) => h.served(jid)
const bob = { sessionId: 's', type: 'dm' as const, name: null, mutedUntil: null }

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))

  it('stores a DM addressed by LID in the phone-number chat when the message names both', async () => {
    await receive(msg('A', { remoteJid: BOB_LID, remoteJidAlt: BOB }, T))
    expect(await chats()).toEqual([{ id: 1, jid: BOB }])
    expect(await messages()).toEqual([{ wa_id: 'A', chat_jid: BOB, sender_jid: BOB, sender_lid: BOB_LID }])
    expect((await eventsOf(h, 'message.received')).map((m) => m.chatJid)).toEqual([BOB])
    const chat = { ...bob, id: 1, jid: BOB, lid: BOB_LID, unreadCount: 1, archived: false, pinned: false }
    expect(await served(BOB)).toEqual({ ...chat, lastMessageAt: T * 1000 })
    expect(await served(BOB_LID)).toEqual(await served(BOB))
  })

  it('stores our message to a LID in the phone-number chat once the mapping is known', async () => {
    await learn()
    await receive(msg('OUT', { remoteJid: BOB_LID, fromMe: true }, T))
    expect(await chats()).toEqual([{ id: 1, jid: BOB }])
    expect(await messages()).toEqual([{ wa_id: 'OUT', chat_jid: BOB, sender_jid: me.jid, sender_lid: me.lid }])
  })

  it('keeps a LID-only DM in a LID chat, which becomes the phone-number chat (same id) when the mapping is learned', async () => {
    await receive(msg('A', { remoteJid: BOB_LID }, T))
    expect(await served(BOB_LID)).toMatchObject({ id: 1, jid: BOB_LID, lid: BOB_LID, unreadCount: 1 })
    expect(await served(BOB)).toBeNull()
    await learn()
    expect(await chats()).toEqual([{ id: 1, jid: BOB }])
    expect(await messages()).toEqual([{ wa_id: 'A', chat_jid: BOB, sender_jid: BOB, sender_lid: BOB_LID }])
    const chat = { ...bob, id: 1, jid: BOB, lid: BOB_LID, unreadCount: 1, archived: false, pinned: false }
    expect(await eventsOf(h, 'chat.updated')).toEqual([{ ...chat, lastMessageAt: T * 1000 }])
    expect(await eventsOf(h, 'chat.deleted')).toEqual([])
    expect(await served(BOB_LID)).toEqual(await served(BOB))
  })

  it('merges a LID chat into the phone-number chat: messages, unread, last activity, pin, mute and archive', async () => {
    await receive(msg('P1', { remoteJid: BOB }, T), msg('P2', { remoteJid: BOB, fromMe: true }, T + 10))
    await receive(msg('L1', { remoteJid: BOB_LID }, T + 20))
    await apply({ 'chats.update': [{ id: BOB, pinned: T + 5, archived: false }] })
    await apply({ 'chats.update': [{ id: BOB_LID, archived: true, muteEndTime: T + 3600 }] })
    const [pnChat, lidChat] = await chats()
    expect([pnChat!.jid, lidChat!.jid]).toEqual([BOB, BOB_LID])
    await learn()
    expect(await chats()).toEqual([pnChat!])
    expect(await messages()).toEqual([
      { wa_id: 'P1', chat_jid: BOB, sender_jid: BOB, sender_lid: null },
      { wa_id: 'P2', chat_jid: BOB, sender_jid: me.jid, sender_lid: me.lid },
      { wa_id: 'L1', chat_jid: BOB, sender_jid: BOB, sender_lid: BOB_LID },
    ])
    const absorbed = {
      ...bob,
      id: lidChat!.id,
      jid: BOB_LID,
      lid: BOB_LID,
      unreadCount: 1,
      archived: true,
      pinned: false,
    }
    expect(await eventsOf(h, 'chat.deleted')).toEqual([
      { ...absorbed, mutedUntil: (T + 3600) * 1000, lastMessageAt: (T + 20) * 1000 },
    ])
    const merged = {
      ...bob,
      id: pnChat!.id,
      jid: BOB,
      lid: BOB_LID,
      unreadCount: 2,
      archived: false,
      pinned: true,
      mutedUntil: (T + 3600) * 1000,
      lastMessageAt: (T + 20) * 1000,
    }
    expect((await eventsOf(h, 'chat.updated')).at(-1)).toEqual(merged)
    expect(await served(BOB)).toEqual(merged)
    expect(await served(BOB_LID)).toEqual(merged)
    expect(await h.one('SELECT pinned_at FROM chats')).toEqual({ pinned_at: (T + 5) * 1000 })
  })

  it('keeps one copy of a message stored under both the LID and the phone-number chat', async () => {
    await receive(msg('SAME', { remoteJid: BOB }, T))
    await receive(msg('SAME', { remoteJid: BOB_LID }, T))
    await learn()
    expect(await messages()).toEqual([{ wa_id: 'SAME', chat_jid: BOB, sender_jid: BOB, sender_lid: null }])
  })

  it('moves no chat when the phone number is already mapped to another LID', async () => {
    await receive(msg('A', { remoteJid: BOB_LID }, T))
    await apply({ 'lid-mapping.update': { lid: '900000000099@lid', pn: BOB } })
    await receive(msg('B', { remoteJid: '900000000099@lid' }, T + 1))
    await learn() // BOB's number is taken by another LID: two people claim it, no chat moves
    expect(await chats()).toEqual([
      { id: 1, jid: BOB_LID },
      { id: 2, jid: BOB },
    ])
    expect(await eventsOf(h, 'chat.deleted')).toEqual([])
  })
})

// The read-side listings across a merge and the upgrade's data migration are SQLite's (pgread and copy.ts own
// PostgreSQL's).
describe('sqlite', () => {
  useIngest('sqlite', (x) => (h = x))

  it('continues a chat listing across a merge: the cursor stays valid and no chat is skipped', async () => {
    const listing = createChatStore(h.db!, codec)
    await receive(msg('C', { remoteJid: '15550000009@s.whatsapp.net' }, T))
    await receive(msg('P', { remoteJid: BOB }, T + 1))
    await receive(msg('L', { remoteJid: BOB_LID }, T + 2))
    await receive(msg('G', { remoteJid: '120363000000000009@g.us', participant: BOB }, T + 3))
    const first = listing.page('s', { limit: 2 })
    expect(first.data.map((c) => c.jid)).toEqual(['120363000000000009@g.us', BOB_LID])
    await learn()
    const second = listing.page('s', { limit: 2, cursor: first.nextCursor! })
    expect(second.data.map((c) => [c.jid, c.lastMessageAt])).toEqual([
      [BOB, (T + 2) * 1000],
      ['15550000009@s.whatsapp.net', T * 1000],
    ])
    expect(second.nextCursor).toBeNull()
  })

  it("continues a LID chat's message listing on the merged chat", async () => {
    await receive(msg('P1', { remoteJid: BOB }, T))
    await receive(msg('L1', { remoteJid: BOB_LID }, T + 1), msg('L2', { remoteJid: BOB_LID }, T + 2))
    const store = createMessageStore(h.db!, codec)
    const first = store.page('s', BOB_LID, { limit: 1 })
    expect(first.data.map((m) => m.id)).toEqual(['L2'])
    await learn()
    const next = store.page('s', BOB, { limit: 5, cursor: first.nextCursor! }, BOB_LID)
    expect(next.data.map((m) => [m.id, m.chatJid])).toEqual([
      ['L1', BOB],
      ['P1', BOB],
    ])
    expect(() => store.page('s', BOB, { limit: 5, cursor: first.nextCursor! })).toThrow('invalid cursor')
  })

  it('joins the LID chats stored before one chat per person, once, at upgrade (data migration)', async () => {
    await receive(msg('P1', { remoteJid: BOB }, T))
    await receive(msg('L1', { remoteJid: BOB_LID }, T + 1))
    // As an older wagate left it: the mapping stored, the two chats apart.
    h.db!.sqlite.run("INSERT INTO contacts (session_id, jid, lid, updated_at) VALUES ('s', ?, ?, 0)", [BOB, BOB_LID])
    expect(mergeKnownLidChats(h.db!.sqlite, 1)).toBe(1)
    expect((await chats()).map((c) => c.jid)).toEqual([BOB])
    expect((await messages()).map((m) => [m.wa_id, m.chat_jid])).toEqual([
      ['P1', BOB],
      ['L1', BOB],
    ])
    expect(await served(BOB)).toMatchObject({ lid: BOB_LID, unreadCount: 2, lastMessageAt: (T + 1) * 1000 })
    expect(mergeKnownLidChats(h.db!.sqlite, 2)).toBe(0)
  })
})
