// Ingest: one transaction per batch, idempotent on replay, and the right events for each change.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import { proto, WAMessageStubType, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import type { Ingest } from '../../src/sessions/ingest.ts'
import type { Db } from '../../src/store/db.ts'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, freshIngest, me } from './fixture.ts'

let db: Db
let ingest: Ingest

beforeEach(() => void ({ db, ingest } = freshIngest()))
afterEach(() => db.close())

const msg = (id: string, message: object | null, extra: object = {}) => <WAMessage>proto.WebMessageInfo.decode(
    proto.WebMessageInfo.encode(
      proto.WebMessageInfo.fromObject({
        key: { remoteJid: BOB, fromMe: false, id },
        messageTimestamp: 1_700_000_000,
        message,
        ...extra,
      }),
    ).finish(),
  )
const apply = (events: Partial<BaileysEventMap>) => ingest.batch('s', toBatch(events, me))
const count = (table: string) => db.sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n
const types = () =>
  db.sqlite
    .query<{ type: string }, []>('SELECT type FROM events ORDER BY seq')
    .all()
    .map((e) => e.type)
const chat = () => db.sqlite.query<Record<string, any>, []>('SELECT * FROM chats').get()!

it('stores a live message once with one event, and a replay changes nothing', () => {
  const batch = {
    'messages.upsert': { messages: [msg('A', { conversation: 'hi' })], type: 'notify' as const },
    'chats.update': [{ id: BOB, unreadCount: 1, conversationTimestamp: 1_700_000_000 }],
  }
  apply(batch)
  apply(batch)
  expect(count('messages')).toBe(1)
  expect(types()).toEqual(['message.received'])
  expect(chat()).toMatchObject({ unread_count: 1, last_message_at: 1_700_000_000_000 })
})

it('walks statuses forward only, with one event per step', () => {
  apply({
    'messages.upsert': {
      messages: [msg('O', { conversation: 'x' }, { key: { remoteJid: BOB, fromMe: true, id: 'O' }, status: 1 })],
      type: 'append',
    },
  })
  const key = { remoteJid: BOB, fromMe: true, id: 'O' }
  const update = (status: number) => apply({ 'messages.update': [{ key, update: { status } }] })
  update(3)
  update(4)
  update(3) // late delivery receipt: no downgrade
  update(4) // replay
  const row = db.sqlite.query<Record<string, any>, []>('SELECT status, ack_level FROM messages').get()!
  expect(row).toEqual({ status: 'read', ack_level: 4 })
  expect(types()).toEqual(['message.sent', 'message.status', 'message.status'])
})

it('records edits and revokes once', () => {
  apply({ 'messages.upsert': { messages: [msg('E', { conversation: 'tpyo' })], type: 'notify' } })
  const key = { remoteJid: BOB, fromMe: false, id: 'E' }
  const edit = {
    'messages.update': [{ key, update: { message: { editedMessage: { message: { conversation: 'typo' } } } } }],
  }
  apply(edit)
  apply(edit)
  const revoke = { 'messages.update': [{ key, update: { message: null, messageStubType: WAMessageStubType.REVOKE } }] }
  apply(revoke)
  apply(revoke)
  const row = db.sqlite.query<Record<string, any>, []>('SELECT body, edited, deleted FROM messages').get()!
  expect(row).toEqual({ body: 'typo', edited: 1, deleted: 1 })
  expect(types()).toEqual(['message.received', 'message.edited', 'message.deleted'])
})

it('replaces a CIPHERTEXT placeholder when the retry decrypts, counting it once', () => {
  const stub = msg('C', null, { messageStubType: WAMessageStubType.CIPHERTEXT, messageStubParameters: ['Bad MAC'] })
  apply({ 'messages.upsert': { messages: [stub], type: 'notify' } })
  apply({ 'messages.upsert': { messages: [stub], type: 'notify' } })
  apply({ 'messages.upsert': { messages: [msg('C', { conversation: 'finally' })], type: 'notify' } })
  expect(db.sqlite.query<Record<string, any>, []>('SELECT body, type FROM messages').get()).toEqual({
    body: 'finally',
    type: 'text',
  })
  expect(types()).toEqual(['message.undecryptable', 'message.received'])
  expect(db.sqlite.query<{ n: number }, []>('SELECT undecryptable_count AS n FROM sessions').get()!.n).toBe(1)
})

it('dedupes channel posts by server id even under another message id', () => {
  const post = (id: string) => {
    const m = msg(id, { conversation: 'news' }, { key: { remoteJid: '1@newsletter', fromMe: false, id } })
    Object.assign(m.key, { server_id: '77' })
    return m
  }
  apply({ 'messages.upsert': { messages: [post('P1')], type: 'notify' } })
  apply({ 'messages.upsert': { messages: [post('77')], type: 'append' } })
  expect(count('messages')).toBe(1)
  expect(types()).toEqual(['channel.post'])
  expect(count('channels')).toBe(1)
})

it('applies unread resets and chat flags from WhatsApp with one chat.updated each', () => {
  apply({
    'messages.upsert': { messages: [msg('1', { conversation: 'a' }), msg('2', { conversation: 'b' })], type: 'notify' },
  })
  expect(chat().unread_count).toBe(2)
  const read = { 'chats.update': [{ id: BOB, unreadCount: 0, archived: true }] }
  apply(read)
  apply(read)
  expect(chat()).toMatchObject({ unread_count: 0, archived: 1 })
  expect(types().filter((t) => t === 'chat.updated')).toHaveLength(1)
})

it('raises chat.updated when a chat is pinned or unpinned, not when only the pin time moves', () => {
  apply({ 'messages.upsert': { messages: [msg('1', { conversation: 'a' })], type: 'notify' } })
  apply({ 'chats.update': [{ id: BOB, pinned: 1_700_000_000 }] })
  apply({ 'chats.update': [{ id: BOB, pinned: 1_700_000_002 }] })
  expect(chat().pinned_at).toBe(1_700_000_002_000)
  apply({ 'chats.update': [{ id: BOB, pinned: null }] })
  expect(chat().pinned_at).toBe(0)
  expect(types().filter((t) => t === 'chat.updated')).toHaveLength(2)
})

it('keeps PN and LID of a contact in one row', () => {
  apply({ 'lid-mapping.update': { lid: '9@lid', pn: BOB } })
  apply({ 'contacts.update': [{ id: BOB, notify: 'Bob' }] })
  expect(db.sqlite.query<Record<string, any>, []>('SELECT jid, lid, notify FROM contacts').all()).toEqual([
    { jid: BOB, lid: '9@lid', notify: 'Bob' },
  ])
})

it('rolls the whole batch back when one write fails', () => {
  db.sqlite.run(
    "CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.wa_id = 'BAD' BEGIN SELECT RAISE(ABORT, 'boom'); END",
  )
  expect(() =>
    apply({
      'messages.upsert': {
        messages: [msg('OK', { conversation: 'a' }), msg('BAD', { conversation: 'b' })],
        type: 'notify',
      },
    }),
  ).toThrow('boom')
  expect(count('messages')).toBe(0)
  expect(count('events')).toBe(0)
  expect(count('chats')).toBe(0)
})

it('names mentioned contacts it knows', () => {
  apply({ 'contacts.upsert': [{ id: '9@lid', notify: 'Nine' }] })
  const text = { extendedTextMessage: { text: 'hi @9 @8', contextInfo: { mentionedJid: ['9@lid', '8@lid'] } } }
  apply({ 'messages.upsert': { messages: [msg('N', text)], type: 'notify' } })
  const row = db.sqlite
    .query<{ mentions: string; mention_names: string }, []>('SELECT mentions, mention_names FROM messages')
    .get()!
  expect(JSON.parse(row.mentions)).toEqual(['9@lid', '8@lid'])
  expect(JSON.parse(row.mention_names)).toEqual({ '9@lid': 'Nine' })
})

it('merges a contact first seen as a phone number and as a LID into one row when one message names both', () => {
  const LID = '900000000002@lid'
  apply({ 'contacts.upsert': [{ id: BOB, name: 'Bob' }] })
  apply({ 'contacts.upsert': [{ id: LID, notify: 'Bobby' }] })
  expect(count('contacts')).toBe(2)
  apply({ 'lid-mapping.update': { lid: LID, pn: BOB } })
  const rows = db.sqlite.query<Record<string, any>, []>('SELECT jid, lid, name, notify FROM contacts').all()
  expect(rows).toEqual([{ jid: BOB, lid: LID, name: 'Bob', notify: 'Bobby' }])
})

it('leaves two distinct contacts alone when a message would swap their ids', () => {
  const CAROL = '15550000003@s.whatsapp.net'
  apply({ 'contacts.upsert': [{ id: BOB, name: 'Bob' }] })
  apply({ 'lid-mapping.update': { lid: '900000000002@lid', pn: BOB } })
  apply({ 'contacts.upsert': [{ id: CAROL, name: 'Carol' }] })
  apply({ 'lid-mapping.update': { lid: '900000000003@lid', pn: CAROL } })
  apply({ 'lid-mapping.update': { lid: '900000000003@lid', pn: BOB } })
  expect(count('contacts')).toBe(2)
})
