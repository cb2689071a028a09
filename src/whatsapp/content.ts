// Pure: a Baileys message's content → our type, body, media (and what downloading it needs), location, contacts,
// poll, mentions and quoted id.
import { getContentType, normalizeMessageContent, proto, toNumber } from '@whiskeysockets/baileys'
import type { ContactCard, Location, MediaInfo, MessageType } from '../domain/message.ts'
import { parseVcard } from '../domain/vcard.ts'
import type { MediaSource, PollRecord } from './records.ts'

export type Content = {
  type: MessageType
  body: string | null
  media: MediaInfo | null
  mediaSource: MediaSource | null
  location: Location | null
  contacts: ContactCard[] | null
  poll: PollRecord | null
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

/** Content key → Baileys' media type (it selects the media key's HKDF info, research/fakewa-media-groups.md §1.5). */
const MEDIA_KIND: Record<string, string> = {
  imageMessage: 'image',
  videoMessage: 'video',
  ptvMessage: 'ptv',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
}

type AnyContent = proto.IMessage & Record<string, unknown>
type Inner = Record<string, unknown> & { contextInfo?: proto.IContextInfo | null }
type Num = Parameters<typeof toNumber>[0]

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null)
const int = (v: unknown): number | null => (v == null ? null : toNumber(v as Num))
const bytes = (v: unknown): Uint8Array | null => (v instanceof Uint8Array && v.length > 0 ? v : null)
const hex = (v: unknown): string | null => {
  const b = bytes(v)
  return b ? Buffer.from(b).toString('hex') : null
}

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
    str(inner.selectedDisplayText) ?? // a button reply
    (key === 'listResponseMessage' ? str(inner.title) : null) ?? // the list row chosen
    (key === 'interactiveResponseMessage' ? str((inner.body as { text?: unknown } | null)?.text) : null) ??
    null
  )
}

function mediaOf(key: string, inner: Inner): Pick<Content, 'media' | 'mediaSource'> {
  const kind = MEDIA_KIND[key]
  if (!kind) return { media: null, mediaSource: null }
  const size = int(inner.fileLength)
  const media: MediaInfo = {
    mimetype: str(inner.mimetype),
    filename: str(inner.fileName),
    size,
    sha256: hex(inner.fileSha256),
  }
  const width = int(inner.width)
  const height = int(inner.height)
  const seconds = int(inner.seconds)
  if (width) media.width = width
  if (height) media.height = height
  if (seconds) media.durationSeconds = seconds
  const mediaSource: MediaSource = {
    kind: kind === 'audio' && inner.ptt ? 'ptt' : kind,
    mediaKey: bytes(inner.mediaKey),
    directPath: str(inner.directPath),
    url: str(inner.url),
    fileSha256: media.sha256 ?? null,
    fileEncSha256: hex(inner.fileEncSha256),
    size,
  }
  return { media, mediaSource }
}

function locationOf(key: string, inner: Inner): Location | null {
  if (key !== 'locationMessage' && key !== 'liveLocationMessage') return null
  const live = key === 'liveLocationMessage'
  return {
    latitude: Number(inner.degreesLatitude ?? 0),
    longitude: Number(inner.degreesLongitude ?? 0),
    name: str(inner.name),
    address: str(inner.address),
    url: str(inner.url),
    ...(live ? { live } : {}),
  }
}

function cardOf(c: proto.Message.IContactMessage): ContactCard {
  const vcard = c.vcard ?? ''
  const parsed = parseVcard(vcard)
  return { name: str(c.displayName) ?? parsed.name ?? '', phones: parsed.phones, org: parsed.org, vcard }
}

function contactsOf(key: string, inner: Inner): ContactCard[] | null {
  if (key === 'contactMessage') return [cardOf(inner as proto.Message.IContactMessage)]
  if (key === 'contactsArrayMessage') return ((inner.contacts ?? []) as proto.Message.IContactMessage[]).map(cardOf)
  return null
}

function pollOf(key: string, inner: Inner, secret: Uint8Array | null): PollRecord | null {
  if (TYPE_BY_KEY[key] !== 'poll') return null
  const options = ((inner.options ?? []) as proto.Message.PollCreationMessage.IOption[]).map((o) => o.optionName ?? '')
  return { name: str(inner.name) ?? '', selectableCount: int(inner.selectableOptionsCount) ?? 0, options, secret }
}

/** Content of a message proto; `null` when it has no content we can show (protocol-only, empty). */
export function contentOf(message: proto.IMessage | null | undefined): Content | null {
  const content = unwrap(message) as AnyContent | undefined
  const key = getContentType(content)
  if (!content || !key) return null
  const inner: Inner = key === 'conversation' ? {} : ((content[key] as Inner | null) ?? {})
  const ctx = inner.contextInfo
  const secret = bytes(content.messageContextInfo?.messageSecret) ?? bytes(message?.messageContextInfo?.messageSecret)
  return {
    type: TYPE_BY_KEY[key] ?? 'unknown',
    body: bodyOf(key, inner, content),
    ...mediaOf(key, inner),
    location: locationOf(key, inner),
    contacts: contactsOf(key, inner),
    poll: pollOf(key, inner, secret),
    mentions: [...(ctx?.mentionedJid ?? [])],
    quotedId: str(ctx?.stanzaId),
  }
}
