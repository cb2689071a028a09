// Chat events carry the chat as the API serves it: a DM's name falls back to the contact, a group's to its subject.
import { describe, expect, it } from 'bun:test'
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, eventsOf, type Harness, me, useIngest } from './fixture.ts'

let h: Harness
const G = '120363000000000009@g.us'
const T = 1_700_000_000

const apply = (events: Partial<BaileysEventMap>) => h.ingest.batch('s', toBatch(events, me))
const events = (type: string) => eventsOf(h, type)
const served = (jid: string) => h.served(jid)
const bobChat = {
  id: 1,
  sessionId: 's',
  jid: BOB,
  lid: null,
  type: 'dm' as const,
  unreadCount: 0,
  pinned: false,
  mutedUntil: null,
}

const chatWith = async (contact: object) => {
  await apply({ 'contacts.upsert': [{ id: BOB, ...contact }] })
  await apply({ 'chats.upsert': [{ id: BOB, conversationTimestamp: T }] })
  await apply({ 'chats.update': [{ id: BOB, archived: true }] })
}

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))

  it("names a DM's chat.updated after the contact's push name, as the API does", async () => {
    await chatWith({ notify: 'Bob' })
    const updated = { ...bobChat, name: 'Bob', archived: true, lastMessageAt: T * 1000 }
    expect(await events('chat.updated')).toEqual([updated])
    expect(await served(BOB)).toEqual(updated)
  })

  it("names a DM's chat.updated after the address-book name before the push name", async () => {
    await chatWith({ name: 'Robert', notify: 'Bob' })
    expect(await events('chat.updated')).toEqual([
      { ...bobChat, name: 'Robert', archived: true, lastMessageAt: T * 1000 },
    ])
  })

  it("names a DM's chat.updated after the business name when that is all there is", async () => {
    await chatWith({ verifiedName: 'Bob Ltd' })
    expect(await events('chat.updated')).toEqual([
      { ...bobChat, name: 'Bob Ltd', archived: true, lastMessageAt: T * 1000 },
    ])
  })

  it("keeps the chat's own name over the contact's", async () => {
    await apply({ 'contacts.upsert': [{ id: BOB, notify: 'Bob' }] })
    await apply({ 'chats.upsert': [{ id: BOB, name: 'Bobby (work)', conversationTimestamp: T }] })
    expect(await events('chat.updated')).toEqual([
      { ...bobChat, name: 'Bobby (work)', archived: false, lastMessageAt: T * 1000 },
    ])
  })

  it("names a group's chat.updated after the group subject", async () => {
    await apply({ 'groups.upsert': [{ id: G, subject: 'Team', participants: [] } as any] })
    await apply({ 'chats.update': [{ id: G, pinned: T }] })
    const updated = {
      id: 1,
      sessionId: 's',
      jid: G,
      lid: null,
      type: 'group' as const,
      name: 'Team',
      unreadCount: 0,
      archived: false,
      pinned: true,
      mutedUntil: null,
      lastMessageAt: null,
    }
    // The first event is the group's chat row created with the group (not pinned yet).
    expect(await events('chat.updated')).toEqual([{ ...updated, pinned: false }, updated])
    expect(await served(G)).toEqual(updated)
  })

  it('carries the fallback name in chat.deleted', async () => {
    await chatWith({ notify: 'Bob' })
    await apply({ 'chats.delete': [BOB] })
    expect(await events('chat.deleted')).toEqual([{ ...bobChat, name: 'Bob', archived: true, lastMessageAt: T * 1000 }])
    expect(await served(BOB)).toBeNull()
  })
})
