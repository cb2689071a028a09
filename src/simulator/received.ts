// What a simulated phone makes of a message a client sent it: the inbox entry GET /accounts/{phone}/messages shows.
// Media is downloaded from the media host and checked like a real recipient would (MAC, fileEncSha256,
// fileSha256, fileLength); `media.error` says what failed. Poll votes are decrypted with the poll's secret.
import { normalizeMessageContent, proto } from '@whiskeysockets/baileys'
import { decryptMedia, sha256, type MediaType } from './media/crypto.ts'
import type { MediaHost } from './media/host.ts'
import type { Account, InboxContent } from './network.ts'
import { decryptVote } from './poll.ts'

type Detail = { kind: string; text: string | null; [detail: string]: unknown }

const MEDIA = {
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
} as const

type MediaField = keyof typeof MEDIA
type MediaMessage = proto.Message.IImageMessage &
  proto.Message.IVideoMessage &
  proto.Message.IAudioMessage &
  proto.Message.IDocumentMessage

const num = (v: number | Long | null | undefined) => (v == null ? undefined : Number(v))
type Long = { toNumber(): number }

/** Phones in a vCard's TEL lines (the waid when present). */
function vcardPhones(vcard: string): string[] {
  return [...vcard.matchAll(/^TEL([^:]*):(.*)$/gm)].map((m) => /waid=(\d+)/.exec(m[1]!)?.[1] ?? m[2]!.trim())
}

const vcardName = (vcard: string) => /^FN:(.*)$/m.exec(vcard)?.[1]?.trim() ?? null

export class Receiver {
  constructor(private readonly media: MediaHost) {}

  /** The inbox entry for `raw` sent to `phone` by `sender`, or undefined for nothing a user would see. */
  describe(phone: Account, sender: Account, id: string, raw: proto.IMessage): InboxContent {
    const msg = normalizeMessageContent(raw) ?? {}
    const context = this.contextOf(msg)
    return { ...context, ...this.detail(phone, sender, id, msg) }
  }

  private contextOf(msg: proto.IMessage) {
    const inner = Object.values(msg).find((v) => v && typeof v === 'object' && 'contextInfo' in v) as
      { contextInfo?: proto.IContextInfo | null } | undefined
    const c = inner?.contextInfo
    return {
      quotedId: c?.stanzaId ?? null,
      forwarded: c?.isForwarded === true,
      mentions: c?.mentionedJid ?? [],
    }
  }

  private detail(phone: Account, sender: Account, id: string, msg: proto.IMessage): Detail {
    const text = msg.conversation ?? msg.extendedTextMessage?.text
    if (text != null) return { kind: 'text', text, ...this.linkPreviewOf(msg.extendedTextMessage) }
    const field = (Object.keys(MEDIA) as MediaField[]).find((f) => msg[f])
    if (field) return { kind: MEDIA[field], text: null, media: this.mediaOf(MEDIA[field], msg[field] as MediaMessage) }
    if (msg.locationMessage) {
      const l = msg.locationMessage
      const location = { latitude: l.degreesLatitude, longitude: l.degreesLongitude, name: l.name, address: l.address }
      return { kind: 'location', text: null, location }
    }
    const cards = msg.contactMessage ? [msg.contactMessage] : (msg.contactsArrayMessage?.contacts ?? undefined)
    if (cards) {
      const contacts = cards.map((c) => ({
        name: c.displayName ?? vcardName(c.vcard ?? ''),
        phones: vcardPhones(c.vcard ?? ''),
        vcard: c.vcard,
      }))
      return { kind: 'contacts', text: null, contacts }
    }
    const creation = msg.pollCreationMessage ?? msg.pollCreationMessageV2 ?? msg.pollCreationMessageV3
    if (creation) {
      const options = (creation.options ?? []).map((o) => o.optionName ?? '')
      const secret = msg.messageContextInfo?.messageSecret
      if (secret) phone.polls.set(id, { secret: Buffer.from(secret), creatorJid: sender.jid, options })
      return {
        kind: 'poll',
        text: null,
        poll: { name: creation.name, options, selectableCount: creation.selectableOptionsCount ?? 0 },
      }
    }
    if (msg.pollUpdateMessage) return this.vote(phone, sender, msg.pollUpdateMessage)
    if (msg.reactionMessage) {
      const r = msg.reactionMessage
      return { kind: 'reaction', text: null, reaction: { messageId: r.key?.id ?? null, emoji: r.text ?? '' } }
    }
    const p = msg.protocolMessage
    if (p?.type === proto.Message.ProtocolMessage.Type.REVOKE)
      return { kind: 'revoke', text: null, revoke: { messageId: p.key?.id ?? null } }
    if (p?.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT) {
      const edited = normalizeMessageContent(p.editedMessage) ?? {}
      const newText = edited.conversation ?? edited.extendedTextMessage?.text ?? null
      return { kind: 'edit', text: null, edit: { messageId: p.key?.id ?? null, text: newText } }
    }
    return { kind: 'other', text: null, fields: Object.keys(msg) }
  }

  /** The link preview fields a text carries, as a phone would show them (the thumbnail as base64 JPEG). */
  private linkPreviewOf(ext: proto.Message.IExtendedTextMessage | null | undefined) {
    if (!ext?.matchedText && !ext?.title) return {}
    const thumb = ext.jpegThumbnail?.length ? Buffer.from(ext.jpegThumbnail).toString('base64') : null
    return {
      linkPreview: {
        url: ext.matchedText ?? null,
        title: ext.title ?? null,
        description: ext.description ?? null,
        thumbnail: thumb,
      },
    }
  }

  private vote(phone: Account, sender: Account, u: proto.Message.IPollUpdateMessage): Detail {
    const messageId = u.pollCreationMessageKey?.id ?? ''
    const poll = phone.polls.get(messageId)
    if (!poll || !u.vote)
      return { kind: 'pollVote', text: null, pollVote: { messageId, options: null, error: 'unknown poll' } }
    try {
      return {
        kind: 'pollVote',
        text: null,
        pollVote: {
          messageId,
          options: decryptVote(
            poll,
            messageId,
            [sender.jid, sender.lid],
            [poll.creatorJid, phone.jid, phone.lid],
            u.vote,
          ),
        },
      }
    } catch {
      return { kind: 'pollVote', text: null, pollVote: { messageId, options: null, error: 'vote did not decrypt' } }
    }
  }

  private mediaOf(kind: (typeof MEDIA)[MediaField], m: MediaMessage) {
    const described = {
      mimetype: m.mimetype ?? null,
      caption: m.caption ?? null,
      filename: m.fileName ?? null,
      ptt: m.ptt === true,
      seconds: m.seconds ?? null,
      width: m.width ?? null,
      height: m.height ?? null,
      url: m.url ?? null,
      directPath: m.directPath ?? null,
    }
    const blob = (m.directPath && this.media.get(m.directPath)) || (m.url && this.media.get(m.url)) || undefined
    if (!m.mediaKey) return { ...described, error: 'no mediaKey' }
    if (!blob) return { ...described, error: 'blob not on the media host' }
    try {
      const plain = decryptMedia(blob, kind as MediaType, {
        mediaKey: m.mediaKey,
        fileEncSha256: m.fileEncSha256,
        fileSha256: m.fileSha256,
        fileLength: num(m.fileLength as number | Long | null | undefined),
      })
      return { ...described, size: plain.length, sha256: sha256(plain).toString('hex'), data: plain.toString('base64') }
    } catch (err) {
      return { ...described, error: (err as Error).message }
    }
  }
}
