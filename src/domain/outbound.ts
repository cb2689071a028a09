// What `POST …/messages` accepts (the one SendInput schema) and what the send queue stores (OutboundContent).
import { Type, type Static } from '@sinclair/typebox'

export const Recipient = Type.String({
  pattern: '^(\\+?[0-9]{6,15}|[0-9]{6,20}@s\\.whatsapp\\.net|[0-9]{6,20}@lid|[0-9-]{6,40}@g\\.us)$',
  description: 'A phone number (digits, optional +) or a JID',
})

export const MediaKinds = ['image', 'video', 'audio', 'document', 'sticker'] as const
export type MediaKind = (typeof MediaKinds)[number]

export const MediaInput = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'http(s) URL the gateway fetches' })),
    data: Type.Optional(Type.String({ minLength: 1, description: 'The bytes, base64' })),
    mediaId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'From POST …/media' })),
    mimetype: Type.Optional(
      Type.String({ minLength: 3, maxLength: 255, description: 'Sniffed from the bytes if absent' }),
    ),
    caption: Type.Optional(Type.String({ maxLength: 4096, description: 'Not for audio and sticker' })),
    filename: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Documents only' })),
    ptt: Type.Optional(Type.Boolean({ description: 'Audio only: send as a voice note' })),
    viewOnce: Type.Optional(Type.Boolean({ description: 'Image, video or audio that opens once' })),
  },
  { description: 'Exactly one of url, data, mediaId' },
)
export type MediaInput = Static<typeof MediaInput>

export const LocationInput = Type.Object({
  latitude: Type.Number({ minimum: -90, maximum: 90 }),
  longitude: Type.Number({ minimum: -180, maximum: 180 }),
  name: Type.Optional(Type.String({ maxLength: 256 })),
  address: Type.Optional(Type.String({ maxLength: 512 })),
})

export const ContactInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  phones: Type.Array(Type.String({ pattern: '^\\+?[0-9 ()-]{6,24}$' }), { minItems: 1, maxItems: 10 }),
  org: Type.Optional(Type.String({ maxLength: 256 })),
})

export const PollInput = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 256 }),
  options: Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { minItems: 2, maxItems: 12, uniqueItems: true }),
  selectableCount: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 12, description: '0 (default): any number of options; 1: single choice' }),
  ),
})

/** The body of POST …/messages: `to`, exactly one content field, and the common options. */
export const SendInput = Type.Object({
  to: Recipient,
  text: Type.Optional(Type.String({ minLength: 1, maxLength: 65536 })),
  linkPreview: Type.Optional(
    Type.Boolean({ description: 'false: no link preview (by default the first http(s) URL of the text gets one)' }),
  ),
  image: Type.Optional(MediaInput),
  video: Type.Optional(MediaInput),
  audio: Type.Optional(MediaInput),
  document: Type.Optional(MediaInput),
  sticker: Type.Optional(MediaInput),
  location: Type.Optional(LocationInput),
  contacts: Type.Optional(Type.Array(ContactInput, { minItems: 1, maxItems: 20 })),
  poll: Type.Optional(PollInput),
  quotedMessageId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
  mentions: Type.Optional(Type.Array(Type.String({ pattern: '@(s\\.whatsapp\\.net|lid)$' }), { maxItems: 256 })),
})
export type SendInput = Static<typeof SendInput>

export const contentFields = ['text', ...MediaKinds, 'location', 'contacts', 'poll'] as const
export type ContentField = (typeof contentFields)[number]

/** A message we quote, as stored: enough to rebuild the quoted message WhatsApp shows above a reply. */
export type QuotedRef = {
  chatJid: string
  waId: string
  fromMe: boolean
  senderJid: string | null
  body: string | null
}

/** The key of a stored message an operation targets (react, edit, revoke). */
export type TargetKey = { chatJid: string; waId: string; fromMe: boolean; senderJid: string | null }

/** A file to send, already in the data dir's media store (written before the API answered). */
export type OutboundMedia = {
  kind: MediaKind
  sha256: string
  size: number
  mimetype: string
  filename: string | null
  caption: string | null
  ptt: boolean
  viewOnce: boolean
}

/** A preview of a text's first URL (media/link-preview.ts): `url` as in the text, `image` the page's raw og:image. */
export type LinkPreview = {
  url: string
  canonicalUrl: string
  title: string
  description: string | null
  image: Uint8Array | null
}

/** Makes the preview of a text's first URL, or null (no URL, refused, failed, too slow): never throws. */
export type LinkPreviewer = (text: string) => Promise<LinkPreview | null>

/** One queued operation, Baileys-free, as stored in outbound_queue.content (JSON). */
export type OutboundContent = (
  | { kind: 'text'; text: string; linkPreview: boolean }
  | ({ kind: MediaKind } & Omit<OutboundMedia, 'kind'>)
  | { kind: 'location'; latitude: number; longitude: number; name: string | null; address: string | null }
  | { kind: 'contacts'; contacts: { name: string; phones: string[]; org: string | null }[] }
  | {
      kind: 'poll'
      name: string
      options: string[]
      selectableCount: number
      /** Base64 of the 32-byte messageSecret votes are encrypted under: chosen at accept, stored with the poll. */
      secret?: string
    }
  | { kind: 'react'; target: TargetKey; emoji: string }
  | { kind: 'edit'; target: TargetKey; text: string }
  | { kind: 'revoke'; target: TargetKey }
) & { quoted?: QuotedRef | null; mentions?: string[]; forwarded?: boolean }

/** Per-session pacing of the sender; unset fields fall back to the global configuration. */
export const SendPacing = Type.Object(
  {
    minGapMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    jitterMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 3_600_000 })),
    typing: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, description: 'Session metadata key `sendPacing`: overrides the global pacing' },
)
export type SendPacing = Static<typeof SendPacing>
export type Pacing = Required<SendPacing>
