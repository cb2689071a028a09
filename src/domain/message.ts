// The Message object as the API serves it (spec page "List stored channel messages"), and ack rules.
import { Type, type Static } from '@sinclair/typebox'

export const MessageStatus = Type.Union([
  Type.Literal('error'),
  Type.Literal('pending'),
  Type.Literal('sent'),
  Type.Literal('delivered'),
  Type.Literal('read'),
  Type.Literal('played'),
])
export type MessageStatus = Static<typeof MessageStatus>

/** WhatsApp's ack levels, index = level (0 error … 5 played). */
export const statusByAck: readonly MessageStatus[] = ['error', 'pending', 'sent', 'delivered', 'read', 'played']

export const ackOf = (status: MessageStatus): number => statusByAck.indexOf(status)

export const MessageType = Type.Union([
  Type.Literal('text'),
  Type.Literal('image'),
  Type.Literal('video'),
  Type.Literal('audio'),
  Type.Literal('document'),
  Type.Literal('sticker'),
  Type.Literal('location'),
  Type.Literal('contact'),
  Type.Literal('poll'),
  Type.Literal('reaction'),
  Type.Literal('system'),
  Type.Literal('unknown'),
])
export type MessageType = Static<typeof MessageType>

export const MediaStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('stored'), Type.Literal('skipped'), Type.Literal('failed')],
  {
    description:
      'pending: not downloaded yet; stored: the bytes are served at `url`; skipped: not downloaded by policy ' +
      '(kind or size) or removed by retention; failed: the download failed for good',
  },
)
export type MediaStatus = Static<typeof MediaStatus>

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()])

export const Media = Type.Object({
  mimetype: Type.Union([Type.String(), Type.Null()]),
  filename: Type.Union([Type.String(), Type.Null()]),
  size: Type.Union([Type.Integer(), Type.Null()]),
  sha256: nullable(Type.String({ description: 'Hex SHA-256 of the file (the ETag of `url`)' })),
  width: Type.Optional(Type.Integer()),
  height: Type.Optional(Type.Integer()),
  durationSeconds: Type.Optional(Type.Integer()),
  status: MediaStatus,
  url: Type.String({ description: 'API path serving the bytes (GET, capability read)' }),
})
export type Media = Static<typeof Media>

/** Media as a record carries and the `messages.media` column stores it: `url` is derived when served. */
export type MediaInfo = Omit<Media, 'url' | 'sha256' | 'status'> & { sha256?: string | null; status?: MediaStatus }

/** The API path serving a message's media bytes. */
export const mediaUrlOf = (sessionId: string, chatJid: string, waId: string) =>
  `/api/v1/sessions/${encodeURIComponent(sessionId)}/chats/${encodeURIComponent(chatJid)}/messages/${encodeURIComponent(waId)}/media`

export const Location = Type.Object({
  latitude: Type.Number(),
  longitude: Type.Number(),
  name: nullable(Type.String()),
  address: nullable(Type.String()),
  url: Type.Optional(nullable(Type.String())),
  live: Type.Optional(Type.Boolean({ description: 'A live location share (its first position)' })),
})
export type Location = Static<typeof Location>

export const ContactCard = Type.Object({
  name: Type.String({ description: 'Display name' }),
  phones: Type.Array(Type.String(), { description: 'Phone numbers from the vCard' }),
  org: Type.Optional(nullable(Type.String())),
  vcard: Type.String({ description: 'The vCard as sent' }),
})
export type ContactCard = Static<typeof ContactCard>

export const PollOption = Type.Object({
  name: Type.String(),
  votes: Type.Integer({ minimum: 0 }),
  voters: Type.Array(Type.String(), { description: 'JIDs of who chose this option (latest vote each)' }),
})
export const Poll = Type.Object({
  name: Type.String(),
  selectableCount: Type.Integer({ minimum: 0, description: '0 = any number of options' }),
  options: Type.Array(PollOption),
})
export type Poll = Static<typeof Poll>

export const Message = Type.Object({
  id: Type.String({ description: 'The WhatsApp message id' }),
  waMessageId: Type.String({ description: 'The WhatsApp message id (same as id)' }),
  sessionId: Type.String(),
  chatJid: Type.String(),
  fromMe: Type.Boolean(),
  direction: Type.Union([Type.Literal('in'), Type.Literal('out')]),
  senderJid: nullable(Type.String()),
  senderLid: nullable(Type.String()),
  senderName: nullable(Type.String()),
  type: MessageType,
  body: nullable(Type.String()),
  hasMedia: Type.Boolean(),
  media: nullable(Media),
  location: Type.Optional(Location),
  contacts: Type.Optional(Type.Array(ContactCard)),
  poll: Type.Optional(Poll),
  mentions: Type.Array(Type.String()),
  mentionNames: Type.Record(Type.String(), Type.String()),
  quotedMessageId: nullable(Type.String()),
  status: MessageStatus,
  ackLevel: Type.Integer({ minimum: 0, maximum: 5 }),
  error: nullable(Type.String()),
  edited: Type.Boolean(),
  deleted: Type.Boolean(),
  timestamp: Type.Integer({ description: 'Epoch ms the message was sent' }),
  createdAt: Type.Integer({ description: 'Epoch ms the gateway stored it' }),
})
export type Message = Static<typeof Message>
