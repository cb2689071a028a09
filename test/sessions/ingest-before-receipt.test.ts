// The message stored before its receipt (socket.ts beforeReceipt, batch.ts receivedBatch) and the events Baileys
// emits for it afterwards: those add nothing, except statuses Baileys' event buffer folded into the upsert.
import { describe, expect, it } from 'bun:test'
import { proto, WAMessageStubType, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import { receivedBatch, toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, type Harness, me, useIngest } from './fixture.ts'

let h: Harness

const msg = (id: string, extra: object = {}) => <WAMessage>proto.WebMessageInfo.fromObject({
    key: { remoteJid: BOB, fromMe: false, id },
    messageTimestamp: 1_700_000_000,
    message: { conversation: 'hi' },
    pushName: 'Bob',
    ...extra,
  })
const apply = (events: Partial<BaileysEventMap>) => h.ingest.batch('s', toBatch(events, me))
const upsert = (m: WAMessage, type: 'notify' | 'append' = 'notify') => ({
  'messages.upsert': { messages: [m], type },
})
const count = async () => (await h.one('SELECT count(*) AS n FROM messages'))!.n
const dump = async (table: string) => await h.all(`SELECT * FROM ${table}`)
const types = async () => (await h.all('SELECT type FROM events ORDER BY seq')).map((e) => e.type)

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))

  it('makes the later upsert of a message stored before its receipt a no-op', async () => {
    await apply(upsert(msg('A'), 'append'))
    const before = {
      messages: await dump('messages'),
      chats: await dump('chats'),
      contacts: await dump('contacts'),
      events: await types(),
    }
    await apply({ ...upsert(msg('A'), 'append'), 'chats.update': [{ id: BOB, unreadCount: 1 }] })
    expect({
      messages: await dump('messages'),
      chats: await dump('chats'),
      contacts: await dump('contacts'),
      events: await types(),
    }).toEqual(before)
    expect(await types()).toEqual(['message.received'])
  })

  it('applies a reaction the event buffer folded into the upsert of an already stored message', async () => {
    await apply(upsert(msg('A')))
    const reaction = {
      key: { remoteJid: BOB, fromMe: false, id: 'R' },
      text: '👍',
      senderTimestampMs: 1_700_000_001_000,
    }
    await apply(upsert(msg('A', { reactions: [reaction] })))
    await apply(upsert(msg('A', { reactions: [reaction] })))
    expect(JSON.parse((await dump('messages'))[0]!.reactions as string)).toEqual({ [BOB]: '👍' })
    expect(await types()).toEqual(['message.received', 'message.reaction'])
  })

  it('takes only the status from an upsert the event buffer folded an edit and a delete into', async () => {
    // The edit and the delete came through the receipt hook keyed by whoever sent them; folded into the upsert they
    // carry the message's own key, which names its author: so a member's edit of someone else's message would pass.
    await apply(upsert(msg('A')))
    const edited = { editedMessage: { message: { conversation: 'hi, edited' } } }
    await apply(upsert(msg('A', { message: edited })))
    await apply(upsert(msg('A', { message: null, messageStubType: WAMessageStubType.REVOKE })))
    const own = { key: { remoteJid: BOB, fromMe: true, id: 'O' }, message: { conversation: 'mine' }, status: 2 }
    await apply(upsert(msg('O', own), 'append'))
    await apply(upsert(msg('O', { ...own, status: 4, message: edited })))
    expect((await dump('messages')).map((m) => [m.wa_id, m.body, m.edited, m.deleted, m.status])).toEqual([
      ['A', 'hi', 0, 0, 'delivered'],
      ['O', 'mine', 0, 0, 'read'],
    ])
    expect(await types()).toEqual(['message.received', 'message.sent', 'message.status'])
  })

  it('applies a reaction before its receipt, so the messages.reaction Baileys emits after it is a no-op', async () => {
    await apply(upsert(msg('A')))
    const reactionMessage = {
      key: { remoteJid: BOB, fromMe: false, id: 'A' },
      text: '👍',
      senderTimestampMs: 1_700_000_001_000,
    }
    const carrier = msg('R', { message: { reactionMessage } })
    await h.ingest.batch('s', receivedBatch(carrier, 'notify', me))
    expect(JSON.parse((await dump('messages'))[0]!.reactions as string)).toEqual({ [BOB]: '👍' })
    await apply({
      ...upsert(carrier),
      'messages.reaction': [{ key: reactionMessage.key, reaction: { ...reactionMessage, key: carrier.key } }],
    })
    expect(await count()).toBe(1)
    expect(await types()).toEqual(['message.received', 'message.reaction'])
  })

  it('applies an edit (WhatsApp’s editedMessage carrier) before its receipt, without storing the carrier', async () => {
    await apply(upsert(msg('A')))
    const protocolMessage = {
      type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
      key: { remoteJid: BOB, fromMe: true, id: 'A' },
      editedMessage: { conversation: 'fixed' },
    }
    const carrier = msg('E', { message: { editedMessage: { message: { protocolMessage } } } })
    await h.ingest.batch('s', receivedBatch(carrier, 'notify', me))
    expect((await dump('messages'))[0]).toMatchObject({ body: 'fixed', edited: 1 })
    const later = { message: { editedMessage: { message: protocolMessage.editedMessage } } }
    await apply({ ...upsert(carrier), 'messages.update': [{ key: { ...carrier.key, id: 'A' }, update: later }] })
    expect(await count()).toBe(1)
    expect(await types()).toEqual(['message.received', 'message.edited'])
  })

  it('applies a revoke before its receipt, so the messages.update Baileys emits after it is a no-op', async () => {
    await apply(upsert(msg('A')))
    const protocolMessage = {
      type: proto.Message.ProtocolMessage.Type.REVOKE,
      key: { remoteJid: BOB, fromMe: true, id: 'A' },
    }
    const carrier = msg('D', { message: { protocolMessage } })
    await h.ingest.batch('s', receivedBatch(carrier, 'notify', me))
    expect((await dump('messages'))[0]).toMatchObject({ deleted: 1 })
    const update = { message: null, messageStubType: WAMessageStubType.REVOKE, key: carrier.key }
    await apply({ ...upsert(carrier), 'messages.update': [{ key: { ...carrier.key, id: 'A' }, update }] })
    expect(await count()).toBe(1)
    expect(await types()).toEqual(['message.received', 'message.deleted'])
  })
})
