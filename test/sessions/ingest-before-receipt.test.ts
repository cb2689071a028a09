// The message stored before its receipt (socket.ts beforeReceipt, batch.ts receivedBatch) and the events Baileys
// emits for it afterwards: those add nothing, except changes Baileys' event buffer folded into the upsert.
import { afterEach, beforeEach, expect, it } from 'bun:test'
import { proto, WAMessageStubType, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import type { Ingest } from '../../src/sessions/ingest.ts'
import type { Db } from '../../src/store/db.ts'
import { receivedBatch, toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, freshIngest, me } from './fixture.ts'

let db: Db
let ingest: Ingest

beforeEach(() => void ({ db, ingest } = freshIngest()))
afterEach(() => db.close())

const msg = (id: string, extra: object = {}) => <WAMessage>proto.WebMessageInfo.fromObject({
    key: { remoteJid: BOB, fromMe: false, id },
    messageTimestamp: 1_700_000_000,
    message: { conversation: 'hi' },
    pushName: 'Bob',
    ...extra,
  })
const apply = (events: Partial<BaileysEventMap>) => ingest.batch('s', toBatch(events, me))
const upsert = (m: WAMessage, type: 'notify' | 'append' = 'notify') => ({
  'messages.upsert': { messages: [m], type },
})
const count = () => db.sqlite.query<{ n: number }, []>('SELECT count(*) AS n FROM messages').get()!.n
const dump = (table: string) => db.sqlite.query<Record<string, unknown>, []>(`SELECT * FROM ${table}`).all()
const types = () =>
  db.sqlite
    .query<{ type: string }, []>('SELECT type FROM events ORDER BY seq')
    .all()
    .map((e) => e.type)

it('makes the later upsert of a message stored before its receipt a no-op', () => {
  apply(upsert(msg('A'), 'append'))
  const before = { messages: dump('messages'), chats: dump('chats'), contacts: dump('contacts'), events: types() }
  apply({ ...upsert(msg('A'), 'append'), 'chats.update': [{ id: BOB, unreadCount: 1 }] })
  expect({ messages: dump('messages'), chats: dump('chats'), contacts: dump('contacts'), events: types() }).toEqual(
    before,
  )
  expect(types()).toEqual(['message.received'])
})

it('applies a reaction the event buffer folded into the upsert of an already stored message', () => {
  apply(upsert(msg('A')))
  const reaction = { key: { remoteJid: BOB, fromMe: false, id: 'R' }, text: '👍', senderTimestampMs: 1_700_000_001_000 }
  apply(upsert(msg('A', { reactions: [reaction] })))
  apply(upsert(msg('A', { reactions: [reaction] })))
  expect(JSON.parse(dump('messages')[0]!.reactions as string)).toEqual({ [BOB]: '👍' })
  expect(types()).toEqual(['message.received', 'message.reaction'])
})

it('applies an edit the event buffer folded into the upsert of an already stored message', () => {
  apply(upsert(msg('A')))
  const edited = { editedMessage: { message: { conversation: 'hi, edited' } } }
  apply(upsert(msg('A', { message: edited })))
  expect(dump('messages')[0]).toMatchObject({ body: 'hi, edited', edited: 1 })
  expect(types()).toEqual(['message.received', 'message.edited'])
})

it('applies a reaction before its receipt, so the messages.reaction Baileys emits after it is a no-op', () => {
  apply(upsert(msg('A')))
  const reactionMessage = {
    key: { remoteJid: BOB, fromMe: false, id: 'A' },
    text: '👍',
    senderTimestampMs: 1_700_000_001_000,
  }
  const carrier = msg('R', { message: { reactionMessage } })
  ingest.batch('s', receivedBatch(carrier, 'notify', me))
  expect(JSON.parse(dump('messages')[0]!.reactions as string)).toEqual({ [BOB]: '👍' })
  apply({
    ...upsert(carrier),
    'messages.reaction': [{ key: reactionMessage.key, reaction: { ...reactionMessage, key: carrier.key } }],
  })
  expect(count()).toBe(1)
  expect(types()).toEqual(['message.received', 'message.reaction'])
})

it('applies an edit (WhatsApp’s editedMessage carrier) before its receipt, without storing the carrier', () => {
  apply(upsert(msg('A')))
  const protocolMessage = {
    type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
    key: { remoteJid: BOB, fromMe: true, id: 'A' },
    editedMessage: { conversation: 'fixed' },
  }
  const carrier = msg('E', { message: { editedMessage: { message: { protocolMessage } } } })
  ingest.batch('s', receivedBatch(carrier, 'notify', me))
  expect(dump('messages')[0]).toMatchObject({ body: 'fixed', edited: 1 })
  const later = { message: { editedMessage: { message: protocolMessage.editedMessage } } }
  apply({ ...upsert(carrier), 'messages.update': [{ key: { ...carrier.key, id: 'A' }, update: later }] })
  expect(count()).toBe(1)
  expect(types()).toEqual(['message.received', 'message.edited'])
})

it('applies a revoke before its receipt, so the messages.update Baileys emits after it is a no-op', () => {
  apply(upsert(msg('A')))
  const protocolMessage = {
    type: proto.Message.ProtocolMessage.Type.REVOKE,
    key: { remoteJid: BOB, fromMe: true, id: 'A' },
  }
  const carrier = msg('D', { message: { protocolMessage } })
  ingest.batch('s', receivedBatch(carrier, 'notify', me))
  expect(dump('messages')[0]).toMatchObject({ deleted: 1 })
  const update = { message: null, messageStubType: WAMessageStubType.REVOKE, key: carrier.key }
  apply({ ...upsert(carrier), 'messages.update': [{ key: { ...carrier.key, id: 'A' }, update }] })
  expect(count()).toBe(1)
  expect(types()).toEqual(['message.received', 'message.deleted'])
})
