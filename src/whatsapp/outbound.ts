// Queued operations → Baileys message content: the one place that knows how each outbound kind is built.
import {
  extractImageThumb,
  generateMessageIDV2,
  type AnyMessageContent,
  type WAMessage,
  type WASocket,
  type WAUrlInfo,
} from '@whiskeysockets/baileys'
import type { LinkPreview, LinkPreviewer, OutboundContent, QuotedRef, TargetKey } from '../domain/outbound.ts'
import { upstreamError } from './upstream.ts'

/** A fresh WhatsApp message id for the account (`3EB0…`), chosen when the send is accepted. */
export const newMessageId = (meJid: string | null) => generateMessageIDV2(meJid ?? undefined)

const digits = (phone: string) => phone.replace(/\D/g, '')
const vcardText = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/[,;]/g, (c) => `\\${c}`)

/** A vCard 3.0 the way WhatsApp's own apps write them: `waid` lets the phone offer "Message". */
export function vcardOf(c: { name: string; phones: string[]; org: string | null }): string {
  return [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `FN:${vcardText(c.name)}`,
    ...(c.org ? [`ORG:${vcardText(c.org)};`] : []),
    ...c.phones.map((p) => `TEL;type=CELL;type=VOICE;waid=${digits(p)}:+${digits(p)}`),
    'END:VCARD',
  ].join('\n')
}

const keyOf = (t: TargetKey) => ({
  remoteJid: t.chatJid,
  id: t.waId,
  fromMe: t.fromMe,
  ...(t.senderJid && !t.fromMe && t.chatJid.endsWith('@g.us') ? { participant: t.senderJid } : {}),
})

/** The `quoted` WAMessage Baileys wants for a reply, rebuilt from what we stored. */
export function quotedMessage(q: QuotedRef): WAMessage {
  return {
    key: {
      remoteJid: q.chatJid,
      id: q.waId,
      fromMe: q.fromMe,
      ...(q.senderJid && !q.fromMe ? { participant: q.senderJid } : {}),
    },
    message: { conversation: q.body ?? '' },
  }
}

/** Width of a link preview's JPEG thumbnail, as WhatsApp's apps make them. */
const THUMB_WIDTH = 192

/** Baileys' link preview fields from ours: the page's image made a small JPEG (none when it is no image). */
export async function urlInfoOf(p: LinkPreview): Promise<WAUrlInfo> {
  const thumb = p.image ? await extractImageThumb(Buffer.from(p.image), THUMB_WIDTH).catch(() => null) : null
  return {
    'canonical-url': p.canonicalUrl,
    'matched-text': p.url,
    title: p.title,
    ...(p.description ? { description: p.description } : {}),
    ...(thumb ? { jpegThumbnail: thumb.buffer } : {}),
  }
}

/**
 * Baileys content for one queued operation; `file` resolves a stored media file's path by its SHA-256; `preview`
 * is a text's link preview (null: none). Baileys never fetches a URL itself (an egress we do not check).
 */
export function contentOf(
  c: OutboundContent,
  file: (sha256: string) => string,
  preview: WAUrlInfo | null = null,
): AnyMessageContent {
  const mentions = c.mentions?.length ? { mentions: c.mentions } : {}
  const forwarded = c.forwarded ? { contextInfo: { isForwarded: true, forwardingScore: 1 } } : {}
  switch (c.kind) {
    case 'text':
      return { text: c.text, linkPreview: preview, ...mentions, ...forwarded }
    case 'image':
    case 'video':
    case 'sticker':
    case 'audio':
    case 'document': {
      const source = { url: file(c.sha256) }
      const caption = c.caption && c.kind !== 'audio' && c.kind !== 'sticker' ? { caption: c.caption } : {}
      const viewOnce = c.viewOnce ? { viewOnce: true } : {}
      const common = { mimetype: c.mimetype, ...caption, ...mentions, ...forwarded }
      if (c.kind === 'image') return { image: source, ...common, ...viewOnce }
      if (c.kind === 'video') return { video: source, ...common, ...viewOnce }
      if (c.kind === 'sticker') return { sticker: source, ...common }
      if (c.kind === 'audio') return { audio: source, ...common, ...(c.ptt ? { ptt: true } : {}), ...viewOnce }
      return { document: source, ...common, fileName: c.filename ?? 'file' }
    }
    case 'location':
      return {
        location: {
          degreesLatitude: c.latitude,
          degreesLongitude: c.longitude,
          ...(c.name ? { name: c.name } : {}),
          ...(c.address ? { address: c.address } : {}),
        },
        ...forwarded,
      }
    case 'contacts':
      return {
        contacts: {
          displayName: c.contacts.length === 1 ? c.contacts[0]!.name : `${c.contacts.length} contacts`,
          contacts: c.contacts.map((x) => ({ displayName: x.name, vcard: vcardOf(x) })),
        },
        ...forwarded,
      }
    case 'poll':
      return {
        poll: {
          name: c.name,
          values: c.options,
          selectableCount: c.selectableCount,
          ...(c.secret ? { messageSecret: Buffer.from(c.secret, 'base64') } : {}),
        },
        ...forwarded,
      }
    case 'react':
      return { react: { text: c.emoji, key: keyOf(c.target) } }
    case 'edit':
      return { text: c.text, edit: keyOf(c.target) }
    case 'revoke':
      return { delete: keyOf(c.target) }
  }
}

/**
 * Sends one queued operation under its pre-chosen id; WhatsApp's refusal becomes `upstream_error`. A text asking for
 * a link preview waits for `previews` (bounded by its own deadline; a failure sends it without).
 */
export async function sendQueued(
  sock: WASocket,
  job: { chatJid: string; waId: string; content: OutboundContent },
  file: (sha256: string) => string,
  previews: LinkPreviewer | null = null,
): Promise<void> {
  const c = job.content
  const found = c.kind === 'text' && c.linkPreview && previews ? await previews(c.text) : null
  const content = contentOf(c, file, found ? await urlInfoOf(found) : null)
  const quoted = job.content.quoted ? { quoted: quotedMessage(job.content.quoted) } : {}
  try {
    await sock.sendMessage(job.chatJid, content, { messageId: job.waId, ...quoted })
  } catch (e) {
    throw upstreamError('send', e)
  }
}
