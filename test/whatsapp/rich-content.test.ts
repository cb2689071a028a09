// normalize of the rich kinds on real Baileys protos: media with its download coordinates, location, contacts, polls.
import { describe, expect, it } from 'bun:test'
import { proto, type WAMessage } from '@whiskeysockets/baileys'
import { messageRecord, pollVoteRecord, type Me } from '../../src/whatsapp/normalize.ts'

const me: Me = { jid: '15550000001@s.whatsapp.net', lid: '900000000001@lid' }
const BOB = '15550000002@s.whatsapp.net'

const wire = (message: object): WAMessage =>
  proto.WebMessageInfo.decode(
    proto.WebMessageInfo.encode(
      proto.WebMessageInfo.fromObject({
        key: { remoteJid: BOB, fromMe: false, id: 'M1' },
        messageTimestamp: 1_700_000_000,
        message,
      }),
    ).finish(),
  ) as WAMessage

const key = Buffer.alloc(32, 7)
const plainSha = Buffer.alloc(32, 1)
const encSha = Buffer.alloc(32, 2)

describe('media', () => {
  it('keeps what a later download needs: key, path, url, both hashes, and the shown fields', () => {
    const r = messageRecord(
      wire({
        imageMessage: {
          mimetype: 'image/jpeg',
          fileLength: 1234,
          width: 640,
          height: 480,
          mediaKey: key,
          directPath: '/v/t62/a.enc',
          url: 'https://mmg.whatsapp.net/v/t62/a.enc',
          fileSha256: plainSha,
          fileEncSha256: encSha,
          caption: 'hi',
        },
      }),
      me,
    )!
    expect(r.media).toEqual({
      mimetype: 'image/jpeg',
      filename: null,
      size: 1234,
      sha256: plainSha.toString('hex'),
      width: 640,
      height: 480,
    })
    expect(r.mediaSource).toEqual({
      kind: 'image',
      mediaKey: new Uint8Array(key),
      directPath: '/v/t62/a.enc',
      url: 'https://mmg.whatsapp.net/v/t62/a.enc',
      fileSha256: plainSha.toString('hex'),
      fileEncSha256: encSha.toString('hex'),
      size: 1234,
    })
  })

  it('reads a voice note as audio with kind ptt and its duration', () => {
    const r = messageRecord(
      wire({ audioMessage: { mimetype: 'audio/ogg', ptt: true, seconds: 9, mediaKey: key } }),
      me,
    )!
    expect(r.type).toBe('audio')
    expect(r.media?.durationSeconds).toBe(9)
    expect(r.mediaSource?.kind).toBe('ptt')
  })

  it('gives a voice note, a sticker and a captionless image no body', () => {
    for (const message of [
      { audioMessage: { mimetype: 'audio/ogg', ptt: true, seconds: 9, mediaKey: key } },
      { stickerMessage: { mimetype: 'image/webp', mediaKey: key } },
      { imageMessage: { mimetype: 'image/jpeg', mediaKey: key } },
    ])
      expect(messageRecord(wire(message), me)!.body).toBeNull()
  })

  it("keeps a document's filename", () => {
    const r = messageRecord(wire({ documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf' } }), me)!
    expect(r.media?.filename).toBe('a.pdf')
  })
})

describe('location, contacts, polls', () => {
  it('reads a location', () => {
    const r = messageRecord(
      wire({ locationMessage: { degreesLatitude: 1.5, degreesLongitude: -2.25, name: 'Here', address: 'Street 1' } }),
      me,
    )!
    expect(r.location).toEqual({ latitude: 1.5, longitude: -2.25, name: 'Here', address: 'Street 1', url: null })
  })

  it('reads contact cards from their vCards', () => {
    const vcard =
      'BEGIN:VCARD\nVERSION:3.0\nFN:Dana Diaz\nORG:Acme;\nTEL;type=CELL;waid=15550000009:+1 555 000 0009\nEND:VCARD'
    const r = messageRecord(wire({ contactsArrayMessage: { contacts: [{ displayName: 'Dana', vcard }] } }), me)!
    expect(r.type).toBe('contact')
    expect(r.contacts).toEqual([{ name: 'Dana', phones: ['+1 555 000 0009'], org: 'Acme', vcard }])
  })

  it('reads a poll with its options and secret', () => {
    const secret = Buffer.alloc(32, 9)
    const r = messageRecord(
      wire({
        pollCreationMessageV3: {
          name: 'Q?',
          options: [{ optionName: 'A' }, { optionName: 'B' }],
          selectableOptionsCount: 1,
        },
        messageContextInfo: { messageSecret: secret },
      }),
      me,
    )!
    expect(r.poll).toEqual({ name: 'Q?', selectableCount: 1, options: ['A', 'B'], secret: new Uint8Array(secret) })
  })

  it('reads an encrypted vote with its poll and voter, and stores no message for it', () => {
    const m = wire({
      pollUpdateMessage: {
        pollCreationMessageKey: { remoteJid: BOB, fromMe: true, id: 'P1' },
        vote: { encPayload: Buffer.from([1, 2]), encIv: Buffer.from([3]) },
        senderTimestampMs: 1_700_000_000_123,
      },
    })
    expect(messageRecord(m, me)).toBeNull()
    expect(pollVoteRecord(m, me)).toEqual({
      chatJid: BOB,
      pollWaId: 'P1',
      voter: { pn: BOB, lid: null },
      encPayload: new Uint8Array([1, 2]),
      encIv: new Uint8Array([3]),
      timestamp: 1_700_000_000_123,
    })
  })
})
