// Accepting outbound operations: checks, media staged to the data dir, then ONE transaction storing the pending
// message, its event and the queue row (the WhatsApp id chosen here). The sender sends later.
import { randomBytes } from 'node:crypto'
import type { MediaFiles } from '../domain/media-files.ts'
import type { Message, MessageType } from '../domain/message.ts'
import type { MediaKind, OutboundContent, Pacing, SendInput, TargetKey } from '../domain/outbound.ts'
import { AppError, notFound } from '../errors.ts'
import { toJid } from '../domain/jid.ts'
import { newMessageId, vcardOf } from '../whatsapp/outbound.ts'
import type { MessageRecord } from '../whatsapp/records.ts'
import type { EngineIngest } from './engine-store.ts'
import {
  checkMediaOptions,
  contentFieldOf,
  decodeBase64,
  mimetypeOf,
  sourceOf,
  uploadKindOf,
  type Upload,
} from './send-input.ts'

export type { Upload }

/**
 * Fetches a URL for a media source through the egress policy and hands the body (and its content-type) to `into`;
 * a refusal is a 400 `validation_error` with the reason, a body past `maxBytes` a 413.
 */
export type FetchMedia = <T>(
  url: string,
  maxBytes: number,
  into: (body: ReadableStream<Uint8Array>, contentType: string | null) => Promise<T>,
) => Promise<T>

export type SendOpsDeps = {
  ingest: EngineIngest
  media: MediaFiles | null
  fetchMedia: FetchMedia | null
  /** Called after a row was queued: the session's sender picks it up. */
  wake(sessionId: string): void
  pacing(sessionId: string): Pacing | Promise<Pacing>
  queueMax: number
  mediaMaxBytes: number
  clock(): number
}

/** WhatsApp lets the sender edit a message for 15 minutes. */
export const EDIT_WINDOW_MS = 15 * 60_000
/** States in which a session will send soon; anything else is `session_not_connected`. */
const SENDING = new Set(['connected', 'reconnecting', 'degraded', 'starting'])

const typeOf = (kind: OutboundContent['kind']): MessageType =>
  kind === 'contacts' ? 'contact' : kind === 'react' || kind === 'edit' || kind === 'revoke' ? 'system' : kind

export function createSendOps(d: SendOpsDeps) {
  const { ingest } = d

  async function sendingSession(sessionId: string) {
    const s = await ingest.sessionRow(sessionId)
    if (!s) throw notFound('session')
    if (!SENDING.has(s.status) || !s.jid) throw new AppError('session_not_connected', 'session is not connected')
    return s
  }

  /** `rate_limited` when the session's queue is full; checked last, so a bad request still answers its own 4xx. */
  async function room(sessionId: string) {
    const size = await ingest.queue.size(sessionId)
    if (size < d.queueMax) return
    const p = await d.pacing(sessionId)
    const retryAfter = Math.max(1, Math.ceil((p.minGapMs + p.jitterMs / 2) / 1000))
    throw new AppError('rate_limited', `the session's send queue is full (${d.queueMax} waiting)`, {
      queued: size,
      retryAfter,
    })
  }

  async function target(
    sessionId: string,
    chatJid: string,
    waId: string,
  ): Promise<{ message: Message; key: TargetKey }> {
    const message = await ingest.message(sessionId, chatJid, waId)
    if (!message) throw notFound('message')
    const key = { chatJid: message.chatJid, waId: message.id, fromMe: message.fromMe, senderJid: message.senderJid }
    return { message, key }
  }

  async function queue(
    sessionId: string,
    chatJid: string,
    content: OutboundContent,
    store: boolean,
    me: { jid: string | null; lid: string | null },
  ) {
    await room(sessionId)
    const waId = newMessageId(me.jid)
    const record: MessageRecord | null = store ? recordOf(chatJid, waId, content, me, d.clock()) : null
    const message = await ingest.accept(sessionId, record, { chatJid, waId, content })
    d.wake(sessionId)
    return message
  }

  async function stage(sessionId: string, kind: MediaKind, m: NonNullable<SendInput['image']>, upload: Upload | null) {
    checkMediaOptions(kind, m)
    if (!d.media) throw new AppError('validation_error', 'this gateway has no media store')
    let file: { sha256: string; size: number; head?: Uint8Array }
    let declared: string | null = null
    let filename: string | null = m.filename ?? null
    if (upload) {
      if (upload.file.size === 0) throw new AppError('validation_error', 'media is empty')
      file = await upload.file.keep()
      declared = upload.file.type || null
      filename ??= upload.filename
    } else {
      const source = sourceOf(kind, m)
      if (source === 'mediaId') {
        const known = await d.media.lookup(sessionId, m.mediaId!)
        if (!known || !d.media.path(known.sha256)) throw notFound('media')
        file = known
        declared = known.mimetype
        filename ??= known.filename
      } else if (source === 'data') {
        const bytes = decodeBase64(m.data!, `${kind}.data`)
        if (bytes.byteLength > d.mediaMaxBytes)
          throw new AppError('payload_too_large', `media exceeds ${d.mediaMaxBytes} bytes`, { limit: d.mediaMaxBytes })
        file = await d.media.put(new Blob([bytes]).stream(), d.mediaMaxBytes)
      } else {
        if (!d.fetchMedia)
          throw new AppError('validation_error', 'url sources are not enabled', { field: `${kind}.url` })
        const media = d.media
        ;({ file, declared } = await d.fetchMedia(m.url!, d.mediaMaxBytes, async (body, type) => ({
          file: await media.put(body, d.mediaMaxBytes),
          declared: type?.split(';')[0]?.trim() || null,
        })))
      }
    }
    const head = file.head ?? (await Bun.file(d.media.path(file.sha256)!).slice(0, 4100).bytes())
    const mimetype = await mimetypeOf(kind, m.mimetype, declared, head, !!m.ptt)
    return {
      kind,
      sha256: file.sha256,
      size: file.size,
      mimetype,
      filename: kind === 'document' ? (filename ?? 'file') : null,
      caption: m.caption ?? null,
      ptt: !!m.ptt,
      viewOnce: !!m.viewOnce,
    } satisfies OutboundContent
  }

  async function contentOf(sessionId: string, input: SendInput, upload: Upload | null): Promise<OutboundContent> {
    const uploadKind = upload ? uploadKindOf(upload.type, upload.options.mimetype ?? (upload.file.type || null)) : null
    const field = contentFieldOf(input, upload, uploadKind)
    switch (field) {
      case 'text':
        return { kind: 'text', text: input.text!, linkPreview: input.linkPreview !== false }
      case 'location': {
        const l = input.location!
        return {
          kind: 'location',
          latitude: l.latitude,
          longitude: l.longitude,
          name: l.name ?? null,
          address: l.address ?? null,
        }
      }
      case 'contacts':
        return {
          kind: 'contacts',
          contacts: input.contacts!.map((c) => ({ name: c.name, phones: c.phones, org: c.org ?? null })),
        }
      case 'poll': {
        const p = input.poll!
        if ((p.selectableCount ?? 0) > p.options.length)
          throw new AppError('validation_error', 'selectableCount exceeds the number of options', {
            field: 'poll.selectableCount',
          })
        // The secret is chosen now, so votes decrypt even when they arrive before Baileys' echo of the send.
        const secret = randomBytes(32).toString('base64')
        return { kind: 'poll', name: p.name, options: p.options, selectableCount: p.selectableCount ?? 0, secret }
      }
      default:
        return stage(sessionId, field, upload ? upload.options : input[field]!, upload)
    }
  }

  return {
    /** Queues a message of any kind; answers the stored `pending` message. */
    async send(sessionId: string, input: SendInput, upload: Upload | null = null): Promise<Message> {
      const s = await sendingSession(sessionId)
      const chatJid = toJid(input.to)
      const quoted = input.quotedMessageId ? await ingest.quotable(sessionId, input.quotedMessageId) : null
      if (input.quotedMessageId && !quoted) throw new AppError('not_found', 'quoted message not found')
      // A full queue refuses media before it is fetched or stored; queue() checks again (a text only there: the
      // count is a statement over the whole queue, paid once per accepted text).
      if (upload || input.text === undefined) await room(sessionId)
      const content: OutboundContent = {
        ...(await contentOf(sessionId, input, upload)),
        quoted,
        mentions: (input.mentions ?? []).map(toJid),
      }
      return (await queue(sessionId, chatJid, content, true, s))!
    },
    /** Sets ("" removes) this account's reaction on a stored message. */
    async react(sessionId: string, chatJid: string, waId: string, emoji: string): Promise<void> {
      const s = await sendingSession(sessionId)
      const t = await target(sessionId, chatJid, waId)
      await queue(sessionId, t.message.chatJid, { kind: 'react', target: t.key, emoji }, false, s)
    },
    /** Edits an own text message inside WhatsApp's window. */
    async edit(sessionId: string, chatJid: string, waId: string, text: string): Promise<void> {
      const s = await sendingSession(sessionId)
      const { message, key } = await target(sessionId, chatJid, waId)
      if (!message.fromMe) throw new AppError('conflict', 'only your own messages can be edited')
      if (message.deleted) throw new AppError('conflict', 'the message was deleted')
      if (message.type !== 'text')
        throw new AppError('conflict', 'only text messages can be edited', { type: message.type })
      if (d.clock() - message.timestamp > EDIT_WINDOW_MS)
        throw new AppError('conflict', "the message is older than WhatsApp's 15-minute edit window", {
          sentAt: message.timestamp,
        })
      await queue(sessionId, message.chatJid, { kind: 'edit', target: key, text }, false, s)
    },
    /** Deletes an own message for everyone; the stored row stays, `deleted: true` once sent. */
    async revoke(sessionId: string, chatJid: string, waId: string): Promise<void> {
      const s = await sendingSession(sessionId)
      const { message, key } = await target(sessionId, chatJid, waId)
      if (!message.fromMe) throw new AppError('conflict', 'only your own messages can be deleted for everyone')
      if (message.deleted) return
      await queue(sessionId, message.chatJid, { kind: 'revoke', target: key }, false, s)
    },
    /** Sends a stored message's content to another chat, marked forwarded. */
    async forward(sessionId: string, chatJid: string, waId: string, to: string): Promise<Message> {
      const s = await sendingSession(sessionId)
      const { message } = await target(sessionId, chatJid, waId)
      if (message.deleted) throw new AppError('conflict', 'the message was deleted')
      const content = forwardable(message, d.media)
      return (await queue(sessionId, toJid(to), { ...content, forwarded: true }, true, s))!
    },
  }
}

/** The content of a stored message that can be sent again: text, location, contacts, or media whose file is stored. */
function forwardable(m: Message, media: MediaFiles | null): OutboundContent {
  if (m.type === 'text' && m.body) return { kind: 'text', text: m.body, linkPreview: false }
  if (m.type === 'location' && m.location) {
    const { latitude, longitude, name, address } = m.location
    return { kind: 'location', latitude, longitude, name, address }
  }
  if (m.type === 'contact' && m.contacts?.length)
    return {
      kind: 'contacts',
      contacts: m.contacts.map((c) => ({ name: c.name, phones: c.phones, org: c.org ?? null })),
    }
  const file = m.media
  const kind = m.type as MediaKind
  if (file?.sha256 && media?.path(file.sha256) && ['image', 'video', 'audio', 'document', 'sticker'].includes(kind))
    return {
      kind,
      sha256: file.sha256,
      size: file.size ?? 0,
      mimetype: file.mimetype ?? 'application/octet-stream',
      filename: file.filename,
      caption: m.body,
      ptt: false,
      viewOnce: false,
    }
  throw new AppError('conflict', `this ${m.type} message has no stored content to forward`, { type: m.type })
}

function recordOf(
  chatJid: string,
  waId: string,
  c: OutboundContent,
  me: { jid: string | null; lid: string | null },
  now: number,
): MessageRecord {
  const isMedia = 'sha256' in c
  return {
    chatJid,
    waId,
    serverId: null,
    fromMe: true,
    senderJid: me.jid,
    senderLid: me.lid,
    senderName: null,
    type: typeOf(c.kind),
    body: c.kind === 'text' ? c.text : isMedia ? c.caption : c.kind === 'poll' ? c.name : null,
    // The file is in the media store already: the message holds it (ingest) and serves it at once.
    media: isMedia
      ? { mimetype: c.mimetype, filename: c.filename, size: c.size, sha256: c.sha256, status: 'stored' }
      : null,
    location:
      c.kind === 'location' ? { latitude: c.latitude, longitude: c.longitude, name: c.name, address: c.address } : null,
    poll:
      c.kind === 'poll'
        ? {
            name: c.name,
            selectableCount: c.selectableCount,
            options: c.options,
            secret: c.secret ? Buffer.from(c.secret, 'base64') : null,
          }
        : null,
    ...(c.kind === 'contacts' ? { contacts: c.contacts.map((x) => ({ ...x, vcard: vcardOf(x) })) } : {}),
    mentions: c.mentions ?? [],
    mentionNames: {},
    quotedId: c.quoted?.waId ?? null,
    status: 'pending',
    timestamp: now,
    undecryptable: false,
  }
}
