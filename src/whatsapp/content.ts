// Pure: a Baileys message's content → our type, body, media, mentions and quoted id.
import { getContentType, normalizeMessageContent, proto, toNumber } from '@whiskeysockets/baileys'
import type { Media, MessageType } from '../domain/message.ts'

export type Content = {
  type: MessageType
  body: string | null
  media: Media | null
  mentions: string[]
  quotedId: string | null
}

const TYPE_BY_KEY: Record<string, MessageType> = {
  conversation: 'text',
  extendedTextMessage: 'text',
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
  locationMessage: 'location',
  liveLocationMessage: 'location',
  contactMessage: 'contact',
  contactsArrayMessage: 'contact',
  pollCreationMessage: 'poll',
  pollCreationMessageV2: 'poll',
  pollCreationMessageV3: 'poll',
  pollCreationMessageV5: 'poll',
  reactionMessage: 'reaction',
}

const MEDIA_KEYS = ['imageMessage', 'videoMessage', 'ptvMessage', 'audioMessage', 'documentMessage', 'stickerMessage']

type AnyContent = proto.IMessage & Record<string, unknown>
type Inner = Record<string, unknown> & { contextInfo?: proto.IContextInfo | null }

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)

/** Unwraps ephemeral / view-once / document-with-caption / edited wrappers, and edits sent as protocolMessage. */
export function unwrap(message: proto.IMessage | null | undefined): proto.IMessage | undefined {
  let content = normalizeMessageContent(message)
  const edited = content?.protocolMessage?.editedMessage
  if (content?.protocolMessage?.type === proto.Message.ProtocolMessage.Type.MESSAGE_EDIT && edited) {
    content = normalizeMessageContent(edited)
  }
  return content
}

function bodyOf(key: string, inner: Inner, content: AnyContent): string | null {
  if (key === 'conversation') return str(content.conversation)
  return (
    str(inner.text) ??
    str(inner.caption) ??
    str(inner.name) ?? // polls, location names
    str(inner.displayName) ?? // contact cards
    str(inner.selectedDisplayText) ??
    null
  )
}

function mediaOf(key: string, inner: Inner): Media | null {
  if (!MEDIA_KEYS.includes(key)) return null
  const size = inner.fileLength as Parameters<typeof toNumber>[0]
  return {
    mimetype: str(inner.mimetype),
    filename: str(inner.fileName),
    size: size == null ? null : toNumber(size),
  }
}

/** Content of a message proto; `null` when it has no content we can show (protocol-only, empty). */
export function contentOf(message: proto.IMessage | null | undefined): Content | null {
  const content = unwrap(message) as AnyContent | undefined
  const key = getContentType(content)
  if (!content || !key) return null
  const inner: Inner = key === 'conversation' ? {} : ((content[key] as Inner | null) ?? {})
  const ctx = inner.contextInfo
  return {
    type: TYPE_BY_KEY[key] ?? 'unknown',
    body: bodyOf(key, inner, content),
    media: mediaOf(key, inner),
    mentions: [...(ctx?.mentionedJid ?? [])],
    quotedId: str(ctx?.stanzaId),
  }
}
