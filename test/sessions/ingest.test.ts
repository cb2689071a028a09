// Ingest: one transaction per batch, idempotent on replay, and the right events for each change.
import { describe, expect, it } from 'bun:test'
import { proto, WAMessageStubType, type BaileysEventMap, type WAMessage } from '@whiskeysockets/baileys'
import { toBatch } from '../../src/whatsapp/batch.ts'
import { BOB, dialects, type Harness, me, useIngest } from './fixture.ts'

let h: Harness

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
const apply = (events: Partial<BaileysEventMap>) => h.ingest.batch('s', toBatch(events, me))
const count = async (table: string) => (await h.one(`SELECT count(*) AS n FROM ${table}`))!.n
const types = async () => (await h.all('SELECT type FROM events ORDER BY seq')).map((e) => e.type)
const chat = async () => (await h.one('SELECT * FROM chats'))!

describe.each(dialects)('%s', (dialect) => {
  useIngest(dialect, (x) => (h = x))

  it('stores a live message once with one event, and a replay changes nothing', async () => {
    const batch = {
      'messages.upsert': { messages: [msg('A', { conversation: 'hi' })], type: 'notify' as const },
      'chats.update': [{ id: BOB, unreadCount: 1, conversationTimestamp: 1_700_000_000 }],
    }
    await apply(batch)
    await apply(batch)
    expect(await count('messages')).toBe(1)
    expect(await types()).toEqual(['message.received'])
    expect(await chat()).toMatchObject({ unread_count: 1, last_message_at: 1_700_000_000_000 })
  })

  it('walks statuses forward only, with one event per step', async () => {
    await apply({
      'messages.upsert': {
        messages: [msg('O', { conversation: 'x' }, { key: { remoteJid: BOB, fromMe: true, id: 'O' }, status: 1 })],
        type: 'append',
      },
    })
    const key = { remoteJid: BOB, fromMe: true, id: 'O' }
    const update = (status: number) => apply({ 'messages.update': [{ key, update: { status } }] })
    await update(3)
    await update(4)
    await update(3) // late delivery receipt: no downgrade
    await update(4) // replay
    const row = (await h.one('SELECT status, ack_level FROM messages'))!
    expect(row).toEqual({ status: 'read', ack_level: 4 })
    expect(await types()).toEqual(['message.sent', 'message.status', 'message.status'])
  })

  it('records edits and revokes once', async () => {
    await apply({ 'messages.upsert': { messages: [msg('E', { conversation: 'tpyo' })], type: 'notify' } })
    const key = { remoteJid: BOB, fromMe: false, id: 'E' }
    const edit = {
      'messages.update': [{ key, update: { message: { editedMessage: { message: { conversation: 'typo' } } } } }],
    }
    await apply(edit)
    await apply(edit)
    const revoke = {
      'messages.update': [{ key, update: { message: null, messageStubType: WAMessageStubType.REVOKE } }],
    }
    await apply(revoke)
    await apply(revoke)
    const row = (await h.one('SELECT body, edited, deleted FROM messages'))!
    expect(row).toEqual({ body: 'typo', edited: 1, deleted: 1 })
    expect(await types()).toEqual(['message.received', 'message.edited', 'message.deleted'])
  })

  it("ignores an edit and a delete of a contact's message sent from another chat", async () => {
    const CAROL = '15550000003@s.whatsapp.net'
    await apply({
      'messages.upsert': {
        messages: [msg('C', { conversation: 'from Carol' }, { key: { remoteJid: CAROL, fromMe: false, id: 'C' } })],
        type: 'notify',
      },
    })
    const fromBob = { remoteJid: BOB, fromMe: false, id: 'C' }
    await apply({
      'messages.update': [
        { key: fromBob, update: { message: { editedMessage: { message: { conversation: 'forged' } } } } },
        { key: fromBob, update: { message: null, messageStubType: WAMessageStubType.REVOKE } },
      ],
    })
    expect(await h.one('SELECT body, edited, deleted FROM messages')).toEqual({
      body: 'from Carol',
      edited: 0,
      deleted: 0,
    })
    expect(await types()).toEqual(['message.received'])
  })

  it('applies a delete by another member in a group whose members are not stored', async () => {
    const GROUP = '120363000000000009@g.us'
    const key = { remoteJid: GROUP, fromMe: false, id: 'G', participant: BOB }
    await apply({ 'messages.upsert': { messages: [msg('G', { conversation: 'spam' }, { key })], type: 'notify' } })
    const admin = { ...key, participant: '15550000004@s.whatsapp.net' }
    await apply({
      'messages.update': [{ key: admin, update: { message: null, messageStubType: WAMessageStubType.REVOKE } }],
    })
    expect(await h.one('SELECT body, deleted FROM messages')).toEqual({ body: 'spam', deleted: 1 })
    expect(await types()).toEqual(['message.received', 'message.deleted'])
  })

  it('replaces a CIPHERTEXT placeholder when the retry decrypts, counting it once', async () => {
    const stub = msg('C', null, { messageStubType: WAMessageStubType.CIPHERTEXT, messageStubParameters: ['Bad MAC'] })
    await apply({ 'messages.upsert': { messages: [stub], type: 'notify' } })
    await apply({ 'messages.upsert': { messages: [stub], type: 'notify' } })
    await apply({ 'messages.upsert': { messages: [msg('C', { conversation: 'finally' })], type: 'notify' } })
    expect(await h.one('SELECT body, type FROM messages')).toEqual({
      body: 'finally',
      type: 'text',
    })
    expect(await types()).toEqual(['message.undecryptable', 'message.received'])
    expect((await h.one('SELECT undecryptable_count AS n FROM sessions'))!.n).toBe(1)
  })

  it('dedupes channel posts by server id even under another message id', async () => {
    const post = (id: string) => {
      const m = msg(id, { conversation: 'news' }, { key: { remoteJid: '1@newsletter', fromMe: false, id } })
      Object.assign(m.key, { server_id: '77' })
      return m
    }
    await apply({ 'messages.upsert': { messages: [post('P1')], type: 'notify' } })
    await apply({ 'messages.upsert': { messages: [post('77')], type: 'append' } })
    expect(await count('messages')).toBe(1)
    expect(await types()).toEqual(['channel.post'])
    expect(await count('channels')).toBe(1)
  })

  it('applies unread resets and chat flags from WhatsApp with one chat.updated each', async () => {
    await apply({
      'messages.upsert': {
        messages: [msg('1', { conversation: 'a' }), msg('2', { conversation: 'b' })],
        type: 'notify',
      },
    })
    expect((await chat()).unread_count).toBe(2)
    const read = { 'chats.update': [{ id: BOB, unreadCount: 0, archived: true }] }
    await apply(read)
    await apply(read)
    expect(await chat()).toMatchObject({ unread_count: 0, archived: 1 })
    expect((await types()).filter((t) => t === 'chat.updated')).toHaveLength(1)
  })

  it('raises chat.updated when a chat is pinned or unpinned, not when only the pin time moves', async () => {
    await apply({ 'messages.upsert': { messages: [msg('1', { conversation: 'a' })], type: 'notify' } })
    await apply({ 'chats.update': [{ id: BOB, pinned: 1_700_000_000 }] })
    await apply({ 'chats.update': [{ id: BOB, pinned: 1_700_000_002 }] })
    expect((await chat()).pinned_at).toBe(1_700_000_002_000)
    await apply({ 'chats.update': [{ id: BOB, pinned: null }] })
    expect((await chat()).pinned_at).toBe(0)
    expect((await types()).filter((t) => t === 'chat.updated')).toHaveLength(2)
  })

  it('keeps PN and LID of a contact in one row', async () => {
    await apply({ 'lid-mapping.update': { lid: '9@lid', pn: BOB } })
    await apply({ 'contacts.update': [{ id: BOB, notify: 'Bob' }] })
    expect(await h.all('SELECT jid, lid, notify FROM contacts')).toEqual([{ jid: BOB, lid: '9@lid', notify: 'Bob' }])
  })

  it('rolls the whole batch back when one write fails', async () => {
    await h.failOnMessage('BAD')
    const batch = {
      'messages.upsert': {
        messages: [msg('OK', { conversation: 'a' }), msg('BAD', { conversation: 'b' })],
        type: 'notify' as const,
      },
    }
    await expect(apply(batch)).rejects.toThrow('boom')
    expect(await count('messages')).toBe(0)
    expect(await count('events')).toBe(0)
    expect(await count('chats')).toBe(0)
  })

  it('names mentioned contacts it knows', async () => {
    await apply({ 'contacts.upsert': [{ id: '9@lid', notify: 'Nine' }] })
    const text = { extendedTextMessage: { text: 'hi @9 @8', contextInfo: { mentionedJid: ['9@lid', '8@lid'] } } }
    await apply({ 'messages.upsert': { messages: [msg('N', text)], type: 'notify' } })
    const row = (await h.one('SELECT mentions, mention_names FROM messages'))!
    expect(JSON.parse(row.mentions)).toEqual(['9@lid', '8@lid'])
    expect(JSON.parse(row.mention_names)).toEqual({ '9@lid': 'Nine' })
  })

  it('merges a contact first seen as a phone number and as a LID into one row when one message names both', async () => {
    const LID = '900000000002@lid'
    await apply({ 'contacts.upsert': [{ id: BOB, name: 'Bob' }] })
    await apply({ 'contacts.upsert': [{ id: LID, notify: 'Bobby' }] })
    expect(await count('contacts')).toBe(2)
    await apply({ 'lid-mapping.update': { lid: LID, pn: BOB } })
    const rows = await h.all('SELECT jid, lid, name, notify FROM contacts')
    expect(rows).toEqual([{ jid: BOB, lid: LID, name: 'Bob', notify: 'Bobby' }])
  })

  it('leaves two distinct contacts alone when a message would swap their ids', async () => {
    const CAROL = '15550000003@s.whatsapp.net'
    await apply({ 'contacts.upsert': [{ id: BOB, name: 'Bob' }] })
    await apply({ 'lid-mapping.update': { lid: '900000000002@lid', pn: BOB } })
    await apply({ 'contacts.upsert': [{ id: CAROL, name: 'Carol' }] })
    await apply({ 'lid-mapping.update': { lid: '900000000003@lid', pn: CAROL } })
    await apply({ 'lid-mapping.update': { lid: '900000000003@lid', pn: BOB } })
    expect(await count('contacts')).toBe(2)
  })
})
