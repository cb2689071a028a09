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

export const Media = Type.Object({
  mimetype: Type.Union([Type.String(), Type.Null()]),
  filename: Type.Union([Type.String(), Type.Null()]),
  size: Type.Union([Type.Integer(), Type.Null()]),
})
export type Media = Static<typeof Media>

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()])

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
