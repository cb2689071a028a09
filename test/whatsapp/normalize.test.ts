// normalize on real Baileys protos: each fixture is encoded and decoded, as Baileys hands them to us.
import { describe, expect, it } from 'bun:test'
import { proto, WAMessageStubType, type WAMessage } from '@whiskeysockets/baileys'
import { toBatch } from '../../src/whatsapp/batch.ts'
import {
  chatSnapshot,
  chatUpdate,
  contactRecord,
  messageRecord,
  messageUpdate,
  MUTED_FOREVER,
  reactionRecord,
  receiptUpdate,
  type Me,
} from '../../src/whatsapp/normalize.ts'

const me: Me = { jid: '15550000001@s.whatsapp.net', lid: '900000000001@lid' }
const BOB = '15550000002@s.whatsapp.net'
const BOB_LID = '900000000002@lid'
const GROUP = '120363000000000001@g.us'

/** A WebMessageInfo as it comes off the wire (encode → decode gives Longs and null defaults). */
function wire(o: object, extraKey: Record<string, string> = {}): WAMessage {
  const msg = proto.WebMessageInfo.decode(proto.WebMessageInfo.encode(proto.WebMessageInfo.fromObject(o)).finish())
  Object.assign(msg.key!, extraKey) // Alt fields and server_id live outside the MessageKey proto
  return msg as WAMessage // a decoded WebMessageInfo is what Baileys emits as WAMessage
}
const incoming = (message: object, extra: object = {}) =>
  wire(
    {
      key: { remoteJid: BOB, fromMe: false, id: 'M1' },
      messageTimestamp: 1_700_000_000,
      pushName: 'Bob',
      message,
      ...extra,
    },
    {
      remoteJidAlt: BOB_LID,
    },
  )

describe('message content', () => {
  it('reads a plain conversation as text with PN and LID sender and direction in', () => {
    const r = messageRecord(incoming({ conversation: 'hello' }), me)!
    expect(r).toMatchObject({ chatJid: BOB, waId: 'M1', fromMe: false, type: 'text', body: 'hello' })
    expect(r).toMatchObject({ senderJid: BOB, senderLid: BOB_LID, senderName: 'Bob', timestamp: 1_700_000_000_000 })
    expect(r.status).toBe('delivered')
  })

  it('reads extended text with mentions and the quoted id', () => {
    const r = messageRecord(
      incoming({
        extendedTextMessage: {
          text: 'hi @9',
          contextInfo: { mentionedJid: ['9@lid'], stanzaId: 'Q1', participant: BOB },
        },
      }),
      me,
    )!
    expect(r).toMatchObject({ body: 'hi @9', mentions: ['9@lid'], quotedId: 'Q1' })
  })

  it('reads an image caption and media metadata (fileLength is a Long on the wire)', () => {
    const r = messageRecord(
      incoming({ imageMessage: { caption: 'pic', mimetype: 'image/jpeg', fileLength: 12345 } }),
      me,
    )!
    expect(r).toMatchObject({
      type: 'image',
      body: 'pic',
      media: { mimetype: 'image/jpeg', filename: null, size: 12345 },
    })
  })

  it('unwraps ephemeral, view-once and document-with-caption wrappers', () => {
    const eph = messageRecord(incoming({ ephemeralMessage: { message: { imageMessage: { caption: 'eph' } } } }), me)!
    const once = messageRecord(incoming({ viewOnceMessageV2: { message: { videoMessage: { caption: 'once' } } } }), me)!
    const doc = messageRecord(
      incoming({
        documentWithCaptionMessage: {
          message: { documentMessage: { caption: 'doc', fileName: 'a.pdf', mimetype: 'application/pdf' } },
        },
      }),
      me,
    )!
    expect([eph.type, eph.body, once.type, once.body]).toEqual(['image', 'eph', 'video', 'once'])
    expect(doc).toMatchObject({
      type: 'document',
      body: 'doc',
      media: { filename: 'a.pdf', mimetype: 'application/pdf' },
    })
  })

  it('skips protocol, reaction and poll-vote carriers (their effects come as updates)', () => {
    expect(messageRecord(incoming({ protocolMessage: { type: 0, key: { id: 'X' } } }), me)).toBeNull()
    expect(messageRecord(incoming({ reactionMessage: { text: '👍', key: { id: 'X' } } }), me)).toBeNull()
  })

  it("reads a group member in a system message's parameters as the member's JID, by phone number when given", () => {
    const stub = (params: string[]) =>
      messageRecord(
        incoming(undefined as never, {
          key: { remoteJid: GROUP, fromMe: false, id: 'S1', participant: BOB },
          messageStubType: WAMessageStubType.GROUP_PARTICIPANT_PROMOTE,
          messageStubParameters: params,
        }),
        me,
      )!
    const both = JSON.stringify({ id: BOB_LID, phoneNumber: BOB, admin: 'admin' })
    const lidOnly = JSON.stringify({ id: BOB_LID })
    expect(stub([both, lidOnly])).toMatchObject({
      type: 'system',
      body: `GROUP_PARTICIPANT_PROMOTE: ${BOB} ${BOB_LID}`,
    })
    expect(stub(['{not json', 'Team'])!.body).toBe('GROUP_PARTICIPANT_PROMOTE: {not json Team')
  })

  it("stores no message for a pin, a keep-in-chat or an album's header", () => {
    expect(messageRecord(incoming({ pinInChatMessage: { key: { id: 'P' }, type: 1 } }), me)).toBeNull()
    expect(messageRecord(incoming({ keepInChatMessage: { key: { id: 'K' }, keepType: 1 } }), me)).toBeNull()
    expect(messageRecord(incoming({ albumMessage: { expectedImageCount: 2 } }), me)).toBeNull()
  })

  it('reads the text of a reply to a list, to buttons and to an interactive message', () => {
    const bodies = [
      { listResponseMessage: { title: 'Large', singleSelectReply: { selectedRowId: 'size-l' } } },
      { buttonsResponseMessage: { selectedButtonId: 'yes', selectedDisplayText: 'Yes' } },
      { interactiveResponseMessage: { body: { text: 'Booked' }, nativeFlowResponseMessage: { name: 'x' } } },
    ].map((m) => messageRecord(incoming(m), me)!.body)
    expect(bodies).toEqual(['Large', 'Yes', 'Booked'])
  })

  it('keeps a CIPHERTEXT stub as an undecryptable placeholder', () => {
    const r = messageRecord(
      incoming(undefined as never, {
        messageStubType: WAMessageStubType.CIPHERTEXT,
        messageStubParameters: ['No session'],
      }),
      me,
    )!
    expect(r).toMatchObject({ undecryptable: true, type: 'unknown', body: null })
  })

  it('marks our own messages out with our PN and LID, and maps the ack to a status', () => {
    const own = wire({
      key: { remoteJid: BOB, fromMe: true, id: 'O1' },
      messageTimestamp: 1,
      status: 2,
      message: { conversation: 'x' },
    })
    expect(messageRecord(own, me)).toMatchObject({
      fromMe: true,
      senderJid: me.jid,
      senderLid: me.lid,
      status: 'sent',
      senderName: null,
    })
  })

  it('takes a group sender from participant and participantAlt', () => {
    const g = wire(
      { key: { remoteJid: GROUP, fromMe: false, id: 'G1', participant: BOB_LID }, message: { conversation: 'g' } },
      {
        participantAlt: BOB,
      },
    )
    expect(messageRecord(g, me)).toMatchObject({ chatJid: GROUP, senderJid: BOB, senderLid: BOB_LID })
  })

  it('keeps a channel post server id and no sender', () => {
    const post = wire(
      { key: { remoteJid: '123@newsletter', fromMe: false, id: 'P1' }, message: { conversation: 'news' } },
      {
        server_id: '42',
      },
    )
    expect(messageRecord(post, me)).toMatchObject({ serverId: 42, senderJid: null, senderLid: null, body: 'news' })
  })
})

describe('updates', () => {
  it('reads an edit, a revoke, an ack and a NACK from messages.update', () => {
    const key = { remoteJid: BOB, fromMe: true, id: 'O1' }
    const edit = messageUpdate(
      { key, update: { message: { editedMessage: { message: { conversation: 'fixed' } } } } },
      me,
    )
    const revoke = messageUpdate({ key, update: { message: null, messageStubType: WAMessageStubType.REVOKE } }, me)
    const read = messageUpdate({ key, update: { status: proto.WebMessageInfo.Status.READ } }, me)
    const nack = messageUpdate(
      { key, update: { status: proto.WebMessageInfo.Status.ERROR, messageStubParameters: ['463'] } },
      me,
    )
    expect(edit).toMatchObject({ waId: 'O1', editedBody: 'fixed' })
    expect(revoke).toMatchObject({ revoked: true })
    expect(read).toMatchObject({ status: 'read', fromMe: true })
    expect(nack).toMatchObject({ status: 'error', error: '463' })
  })

  it('names who made an edit or a delete by the key of the message that carried it, and nobody for an ack', () => {
    const inGroup = { remoteJid: GROUP, fromMe: false, id: 'A1', participant: BOB_LID, participantAlt: BOB }
    const edit = { message: { editedMessage: { message: { conversation: 'x' } } } }
    expect(messageUpdate({ key: inGroup, update: edit }, me)!.by).toEqual({ fromMe: false, pn: BOB, lid: BOB_LID })
    const revoke = { message: null, messageStubType: WAMessageStubType.REVOKE }
    expect(messageUpdate({ key: { remoteJid: BOB, fromMe: true, id: 'O1' }, update: revoke }, me)!.by).toEqual({
      fromMe: true,
      pn: me.jid,
      lid: me.lid,
    })
    const read = { status: proto.WebMessageInfo.Status.READ }
    expect(messageUpdate({ key: inGroup, update: read }, me)).toEqual({
      chatJid: GROUP,
      waId: 'A1',
      fromMe: false,
      status: 'read',
    })
  })

  it('reads group receipts and reactions', () => {
    const key = { remoteJid: GROUP, fromMe: true, id: 'O2' }
    expect(receiptUpdate({ key, receipt: { userJid: BOB, readTimestamp: 5 } })).toMatchObject({ status: 'read' })
    expect(receiptUpdate({ key, receipt: { userJid: BOB, receiptTimestamp: 5 } })).toMatchObject({
      status: 'delivered',
    })
    const reaction = proto.Reaction.fromObject({
      key: { remoteJid: GROUP, participant: BOB, id: 'R' },
      text: '❤️',
      senderTimestampMs: 1_700_000_000_123,
    })
    expect(reactionRecord({ key, reaction }, me)).toMatchObject({
      waId: 'O2',
      reactor: BOB,
      text: '❤️',
      timestamp: 1_700_000_000_123,
    })
  })

  it("names a contact's reaction in a direct chat by the chat's JID (Baileys leaves the participant empty)", () => {
    const key = { remoteJid: BOB, fromMe: true, id: 'O3' }
    // The reaction message's own key as Baileys hands it over (a plain object: the proto's MessageKey has no Alt ids).
    const reaction = {
      key: { remoteJid: BOB_LID, remoteJidAlt: BOB, participant: '', fromMe: false, id: 'R3' },
      text: '😂',
      senderTimestampMs: 1_700_000_000_789,
    }
    expect(reactionRecord({ key, reaction }, me)).toMatchObject({ chatJid: BOB, waId: 'O3', reactor: BOB, text: '😂' })
  })

  it('names our own reaction by our JID, as the reactions we send are recorded', () => {
    const key = { remoteJid: BOB, fromMe: false, id: 'B1' }
    const reaction = proto.Reaction.fromObject({
      key: { remoteJid: BOB, fromMe: true, id: 'R2' },
      text: '👍',
      senderTimestampMs: 1_700_000_000_456,
    })
    expect(reactionRecord({ key, reaction }, me)).toMatchObject({
      chatJid: BOB,
      waId: 'B1',
      reactor: me.jid,
      text: '👍',
    })
    expect(reactionRecord({ key, reaction }, { jid: null, lid: null })).toBeNull()
  })
})

describe('chats and contacts', () => {
  it('tells unread deltas from resets and "marked unread"', () => {
    expect(chatUpdate({ id: BOB, unreadCount: 2 })!.unread).toEqual({ delta: 2 })
    expect(chatUpdate({ id: BOB, unreadCount: 0 })!.unread).toEqual({ set: 0 })
    expect(chatUpdate({ id: BOB, unreadCount: -1 })!.unread).toEqual({ atLeast: 1 })
    expect(chatUpdate({ id: BOB })!.unread).toBeUndefined()
    expect(chatSnapshot({ id: BOB, unreadCount: 4 }).unread).toEqual({ set: 4 })
  })

  it('reads archive, pin and mute (ms, seconds and forever)', () => {
    expect(chatUpdate({ id: BOB, archived: true, pinned: 1_700_000_000_000 })).toMatchObject({
      archived: true,
      pinnedAt: 1_700_000_000_000,
    })
    expect(chatUpdate({ id: BOB, pinned: null })!.pinnedAt).toBe(0)
    expect(chatUpdate({ id: BOB, muteEndTime: 1_800_000_000 })!.mutedUntil).toBe(1_800_000_000_000)
    expect(chatUpdate({ id: BOB, muteEndTime: -1 })!.mutedUntil).toBe(MUTED_FOREVER)
    expect(chatUpdate({ id: BOB, muteEndTime: null })!.mutedUntil).toBeNull()
    expect(chatUpdate({ id: GROUP })!.type).toBe('group')
  })

  it('keeps both PN and LID of a contact', () => {
    expect(contactRecord({ id: BOB_LID, phoneNumber: BOB, notify: 'Bob' })).toEqual({
      jid: BOB,
      lid: BOB_LID,
      notify: 'Bob',
    })
  })

  it('builds one batch from a history sync with mappings, chats and messages', () => {
    const b = toBatch(
      {
        'messaging-history.set': {
          chats: [{ id: BOB, unreadCount: 3, conversationTimestamp: 1_700_000_000 }],
          contacts: [{ id: BOB, name: 'Bob' }],
          messages: [incoming({ conversation: 'old' })],
          lidPnMappings: [{ lid: BOB_LID, pn: BOB }],
          isLatest: true,
        },
      },
      me,
    )
    expect(b.chats[0]).toMatchObject({ jid: BOB, unread: { set: 3 }, lastMessageAt: 1_700_000_000_000 })
    expect(b.messages).toHaveLength(1)
    expect(b.messages[0]!.live).toBe(false)
    expect(b.lidMappings).toContainEqual({ lid: BOB_LID, pn: BOB })
  })
})
