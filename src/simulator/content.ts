// What a simulated phone can send (the body of POST /accounts/{phone}/messages, as TypeBox schemas) and how each
// kind becomes the proto.Message a real phone would send. Media is encrypted and put on the media host here.
import { randomBytes } from 'node:crypto'
import { proto } from '@whiskeysockets/baileys'
import { Type as t, type Static } from '@sinclair/typebox'
import { SimError } from './context.ts'
import { encryptMedia, type MediaType } from './media/crypto.ts'
import type { MediaHost } from './media/host.ts'
import type { RetryOutcome } from './media/retry.ts'
import type { Group } from './groups.ts'
import type { Account } from './network.ts'
import { authorJid, encryptVote, type PollRecord } from './poll.ts'

const MAX_RANDOM_BYTES = 512 * 1024 * 1024

export const MediaInput = t.Object({
  data: t.Optional(t.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', description: 'the file, base64' })),
  random: t.Optional(
    t.Integer({ minimum: 1, maximum: MAX_RANDOM_BYTES, description: 'instead of data: this many random bytes' }),
  ),
  mimetype: t.String({ minLength: 1 }),
  filename: t.Optional(t.String()),
  caption: t.Optional(t.String()),
  ptt: t.Optional(t.Boolean()),
  seconds: t.Optional(t.Integer({ minimum: 0 })),
  width: t.Optional(t.Integer({ minimum: 0 })),
  height: t.Optional(t.Integer({ minimum: 0 })),
  expired: t.Optional(t.Boolean({ description: 'the URL answers 410 until the client asks for a re-upload' })),
  retry: t.Optional(
    t.Union([t.Literal('success'), t.Literal('not_found'), t.Literal('error')], {
      description: "the phone's answer to a re-upload request (default success)",
    }),
  ),
})
export type MediaInput = Static<typeof MediaInput>

export const MEDIA_KINDS = ['image', 'video', 'audio', 'document', 'sticker'] as const
export type MediaKind = (typeof MEDIA_KINDS)[number]

const Id = t.String({ minLength: 1 })

export const RichInput = {
  location: t.Object({
    latitude: t.Number({ minimum: -90, maximum: 90 }),
    longitude: t.Number({ minimum: -180, maximum: 180 }),
    name: t.Optional(t.String()),
    address: t.Optional(t.String()),
  }),
  contacts: t.Array(
    t.Object({
      name: t.String({ minLength: 1 }),
      phones: t.Array(t.String({ minLength: 1 })),
      org: t.Optional(t.String()),
    }),
    { minItems: 1 },
  ),
  poll: t.Object({
    name: t.String({ minLength: 1 }),
    options: t.Array(t.String({ minLength: 1 }), { minItems: 2, maxItems: 12 }),
    selectableCount: t.Optional(t.Integer({ minimum: 0 })),
  }),
  pollVote: t.Object({ messageId: Id, options: t.Array(t.String()) }),
  reaction: t.Object({ messageId: Id, emoji: t.String({ description: '"" removes the reaction' }) }),
  edit: t.Object({ messageId: Id, text: t.String() }),
  revoke: t.Object({ messageId: Id }),
}
export type RichKind = keyof typeof RichInput
export type Kind = 'text' | MediaKind | RichKind

/** Everything that shapes one outgoing message; exactly one content field is set. */
export type ContentInput = { text?: string; quotedId?: string; forwarded?: boolean; mentions?: string[] } & {
  [K in MediaKind]?: MediaInput
} & { [K in RichKind]?: Static<(typeof RichInput)[K]> }

export interface Built {
  kind: Kind
  message: proto.IMessage
  /** The `<message type>` attribute, and `mediatype` / `edit` where WhatsApp sets them. */
  stanza: { type: string; mediatype?: string; edit?: string }
  media?: { sha256: string; size: number; mediaKey: Buffer; directPath: string; retry: RetryOutcome }
  /** A poll the phone created: kept so it can vote on it and read votes. */
  poll?: PollRecord
}

export function kindOf(input: ContentInput): Kind {
  const kinds = (['text', ...MEDIA_KINDS, ...(Object.keys(RichInput) as RichKind[])] as Kind[]).filter(
    (k) => input[k] !== undefined,
  )
  if (kinds.length !== 1)
    throw new SimError('validation_error', 'exactly one of text, a media kind or a rich kind is required', {
      field: kinds[1] ?? 'text',
      present: kinds,
    })
  return kinds[0]!
}

const vcard = (c: Static<typeof RichInput.contacts>[number]) =>
  [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${c.name}`,
    ...(c.org ? [`ORG:${c.org};`] : []),
    ...c.phones.map((p) => `TEL;type=CELL;type=VOICE;waid=${p.replace(/\D/g, '')}:${p}`),
    'END:VCARD',
  ].join('\n')

/** Where a phone's message goes: a contact (one to one) or a group it is a member of. */
export type Target = Account | Group

const isGroup = (to: Target): to is Group => 'members' in to

/** Who wrote message `id` in `to`, as a message key's participant: the phone itself or the other side / a member. */
function authorOf(from: Account, to: Target, id: string): { own: boolean; participant: string } {
  if (!isGroup(to)) {
    const own = from.sent.has(id)
    return { own, participant: own ? from.jid : to.jid }
  }
  const participant = to.messages.find((m) => m.id === id)?.from ?? from.jid
  return { own: participant === from.jid, participant }
}

export class ContentBuilder {
  constructor(private readonly media: MediaHost) {}

  build(from: Account, to: Target, input: ContentInput): Built {
    const kind = kindOf(input)
    const context = this.context(from, to, input)
    if (kind === 'text') {
      const text = input.text!
      const message = context ? { extendedTextMessage: { text, contextInfo: context } } : { conversation: text }
      return { kind, message, stanza: { type: 'text' } }
    }
    if ((MEDIA_KINDS as readonly string[]).includes(kind)) return this.mediaMessage(kind as MediaKind, input, context)
    return this.rich(from, to, kind as RichKind, input)
  }

  private context(from: Account, to: Target, input: ContentInput): proto.IContextInfo | undefined {
    if (!input.quotedId && !input.forwarded && !input.mentions?.length) return undefined
    const ctx: proto.IContextInfo = {}
    if (input.quotedId) {
      ctx.stanzaId = input.quotedId
      ctx.participant = authorOf(from, to, input.quotedId).participant
      ctx.quotedMessage = { conversation: '' }
    }
    if (input.forwarded) Object.assign(ctx, { isForwarded: true, forwardingScore: 1 })
    if (input.mentions?.length) ctx.mentionedJid = input.mentions.map((p) => `${p}@s.whatsapp.net`)
    return ctx
  }

  private mediaMessage(kind: MediaKind, input: ContentInput, contextInfo: proto.IContextInfo | undefined): Built {
    const m = input[kind]!
    if ((m.data === undefined) === (m.random === undefined))
      throw new SimError('validation_error', `${kind} needs exactly one of data or random`, { field: `${kind}.data` })
    const plain = m.data !== undefined ? Buffer.from(m.data, 'base64') : randomBytes(m.random!)
    const cryptoType: MediaType = kind
    const enc = encryptMedia(plain, cryptoType)
    const stored = this.media.put(enc.enc, m.expired === true)
    const common = {
      url: stored.url,
      directPath: stored.directPath,
      mediaKey: enc.mediaKey,
      fileSha256: enc.fileSha256,
      fileEncSha256: enc.fileEncSha256,
      fileLength: enc.fileLength,
      mediaKeyTimestamp: Math.floor(Date.now() / 1000),
      mimetype: m.mimetype,
      ...(contextInfo ? { contextInfo } : {}),
    }
    const dims = {
      ...(m.width !== undefined && { width: m.width }),
      ...(m.height !== undefined && { height: m.height }),
    }
    const message: proto.IMessage =
      kind === 'image'
        ? { imageMessage: { ...common, ...dims, caption: m.caption } }
        : kind === 'video'
          ? { videoMessage: { ...common, ...dims, caption: m.caption, seconds: m.seconds } }
          : kind === 'audio'
            ? { audioMessage: { ...common, ptt: m.ptt === true, seconds: m.seconds } }
            : kind === 'document'
              ? { documentMessage: { ...common, fileName: m.filename, caption: m.caption, title: m.filename } }
              : { stickerMessage: { ...common, ...dims } }
    return {
      kind,
      message,
      stanza: { type: 'media', mediatype: kind === 'audio' && m.ptt ? 'ptt' : kind },
      media: {
        sha256: enc.fileSha256.toString('hex'),
        size: enc.fileLength,
        mediaKey: enc.mediaKey,
        directPath: stored.directPath,
        retry: m.retry ?? 'success',
      },
    }
  }

  private rich(from: Account, to: Target, kind: RichKind, input: ContentInput): Built {
    const group = isGroup(to) ? to : undefined
    switch (kind) {
      case 'location': {
        const l = input.location!
        const message = {
          locationMessage: {
            degreesLatitude: l.latitude,
            degreesLongitude: l.longitude,
            name: l.name,
            address: l.address,
          },
        }
        return { kind, message, stanza: { type: 'media', mediatype: 'location' } }
      }
      case 'contacts': {
        const cs = input.contacts!.map((c) => ({ displayName: c.name, vcard: vcard(c) }))
        const message =
          cs.length === 1
            ? { contactMessage: cs[0] }
            : { contactsArrayMessage: { displayName: `${cs.length} contacts`, contacts: cs } }
        return { kind, message, stanza: { type: 'media', mediatype: cs.length === 1 ? 'vcard' : 'contact_array' } }
      }
      case 'poll': {
        const p = input.poll!
        if ((p.selectableCount ?? 0) > p.options.length)
          throw new SimError('validation_error', 'selectableCount exceeds the options', {
            field: 'poll.selectableCount',
          })
        const secret = randomBytes(32)
        const creation = {
          name: p.name,
          options: p.options.map((optionName) => ({ optionName })),
          selectableOptionsCount: p.selectableCount ?? 0,
        }
        const message: proto.IMessage = {
          messageContextInfo: { messageSecret: secret },
          ...(p.selectableCount === 1 ? { pollCreationMessageV3: creation } : { pollCreationMessage: creation }),
        }
        return {
          kind,
          message,
          stanza: { type: 'poll' },
          poll: { secret, creatorJid: authorJid(from, group), options: p.options },
        }
      }
      case 'pollVote': {
        const v = input.pollVote!
        const poll = from.polls.get(v.messageId)
        if (!poll) throw new SimError('not_found', `poll ${v.messageId} not known to ${from.phone}`)
        const unknown = v.options.filter((o) => !poll.options.includes(o))
        if (unknown.length)
          throw new SimError('validation_error', 'not options of this poll', { field: 'pollVote.options', unknown })
        const voter = authorJid(from, group)
        const own = poll.creatorJid === voter
        const key = { remoteJid: to.jid, fromMe: own, id: v.messageId, ...(group && { participant: poll.creatorJid }) }
        const message: proto.IMessage = {
          pollUpdateMessage: {
            pollCreationMessageKey: key,
            vote: encryptVote(poll, v.messageId, voter, v.options),
            senderTimestampMs: Date.now(),
          },
        }
        return { kind, message, stanza: { type: 'poll' } }
      }
      case 'reaction': {
        const r = input.reaction!
        const { own, participant } = authorOf(from, to, r.messageId)
        const message: proto.IMessage = {
          reactionMessage: {
            key: { remoteJid: to.jid, fromMe: own, id: r.messageId, ...(group && { participant }) },
            text: r.emoji,
            senderTimestampMs: Date.now(),
          },
        }
        return { kind, message, stanza: { type: 'reaction' } }
      }
      case 'edit':
      case 'revoke': {
        const messageId = kind === 'edit' ? input.edit!.messageId : input.revoke!.messageId
        // In a group the key names the message's author: a phone may name another member's message (an admin's
        // revoke deletes it for everyone; an edit of it is what only a modified client sends, and WhatsApp's servers,
        // which cannot read it, pass it on all the same). One to one, only the phone's own messages.
        let key: proto.IMessageKey
        if (group) {
          const author = group.messages.find((m) => m.id === messageId)?.from
          if (!author) throw new SimError('not_found', `message ${messageId} is not in ${group.jid}`)
          const own = author === from.jid
          key = { remoteJid: group.jid, fromMe: own, id: messageId, ...(!own && { participant: author }) }
        } else {
          if (!from.sent.has(messageId))
            throw new SimError('not_found', `message ${messageId} was not sent by ${from.phone}`)
          key = { remoteJid: to.jid, fromMe: true, id: messageId }
        }
        const protocolMessage: proto.Message.IProtocolMessage =
          kind === 'edit'
            ? {
                key,
                type: proto.Message.ProtocolMessage.Type.MESSAGE_EDIT,
                editedMessage: { conversation: input.edit!.text },
                timestampMs: Date.now(),
              }
            : { key, type: proto.Message.ProtocolMessage.Type.REVOKE }
        return {
          kind,
          message: { protocolMessage },
          stanza: { type: 'text', edit: kind === 'edit' ? '1' : key.fromMe ? '7' : '8' },
        }
      }
    }
  }
}
