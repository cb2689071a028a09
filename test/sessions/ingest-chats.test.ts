// Chat events carry the chat as the API serves it: a DM's name falls back to the contact, a group's to its subject.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import type { BaileysEventMap } from '@whiskeysockets/baileys'
import type { Ingest } from '../../src/sessions/ingest.ts'
import { createChatStore } from '../../src/store/chats.ts'
import { createCursorCodec } from '../../src/store/cursor.ts'
import type { Db } from '../../src/store/db.ts'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, eventsOf, freshIngest, me } from './fixture.ts'

let db: Db
let ingest: Ingest
const G = '120363000000000009@g.us'
const T = 1_700_000_000

beforeEach(() => void ({ db, ingest } = freshIngest()))
afterEach(() => db.close())

const apply = (events: Partial<BaileysEventMap>) => ingest.batch('s', toBatch(events, me))
const events = (type: string) => eventsOf(db, type)
const served = (jid: string) => createChatStore(db, createCursorCodec(new Uint8Array(32))).get('s', jid)
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

const chatWith = (contact: object) => {
  apply({ 'contacts.upsert': [{ id: BOB, ...contact }] })
  apply({ 'chats.upsert': [{ id: BOB, conversationTimestamp: T }] })
  apply({ 'chats.update': [{ id: BOB, archived: true }] })
}

it("names a DM's chat.updated after the contact's push name, as the API does", () => {
  chatWith({ notify: 'Bob' })
  const updated = { ...bobChat, name: 'Bob', archived: true, lastMessageAt: T * 1000 }
  expect(events('chat.updated')).toEqual([updated])
  expect(served(BOB)).toEqual(updated)
})

it("names a DM's chat.updated after the address-book name before the push name", () => {
  chatWith({ name: 'Robert', notify: 'Bob' })
  expect(events('chat.updated')).toEqual([{ ...bobChat, name: 'Robert', archived: true, lastMessageAt: T * 1000 }])
})

it("names a DM's chat.updated after the business name when that is all there is", () => {
  chatWith({ verifiedName: 'Bob Ltd' })
  expect(events('chat.updated')).toEqual([{ ...bobChat, name: 'Bob Ltd', archived: true, lastMessageAt: T * 1000 }])
})

it("keeps the chat's own name over the contact's", () => {
  apply({ 'contacts.upsert': [{ id: BOB, notify: 'Bob' }] })
  apply({ 'chats.upsert': [{ id: BOB, name: 'Bobby (work)', conversationTimestamp: T }] })
  expect(events('chat.updated')).toEqual([
    { ...bobChat, name: 'Bobby (work)', archived: false, lastMessageAt: T * 1000 },
  ])
})

it("names a group's chat.updated after the group subject", () => {
  apply({ 'groups.upsert': [{ id: G, subject: 'Team', participants: [] } as any] })
  apply({ 'chats.update': [{ id: G, pinned: T }] })
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
  expect(events('chat.updated')).toEqual([{ ...updated, pinned: false }, updated])
  expect(served(G)).toEqual(updated)
})

it('carries the fallback name in chat.deleted', () => {
  chatWith({ notify: 'Bob' })
  apply({ 'chats.delete': [BOB] })
  expect(events('chat.deleted')).toEqual([{ ...bobChat, name: 'Bob', archived: true, lastMessageAt: T * 1000 }])
  expect(served(BOB)).toBeNull()
})
