// The Session object (one attached WhatsApp number) and its lifecycle statuses.
import { Type, type Static } from '@sinclair/typebox'

export const SessionStatus = Type.Union([
  Type.Literal('stopped'),
  Type.Literal('starting'),
  Type.Literal('qr'),
  Type.Literal('pairing'),
  Type.Literal('connected'),
  Type.Literal('degraded'),
  Type.Literal('reconnecting'),
  Type.Literal('logged_out'),
  Type.Literal('failed'),
])
export type SessionStatus = Static<typeof SessionStatus>

export const Session = Type.Object({
  id: Type.String({ description: 'ULID' }),
  orgId: Type.String(),
  name: Type.String(),
  metadata: Type.Record(Type.String(), Type.Unknown()),
  status: SessionStatus,
  desiredState: Type.Union([Type.Literal('running'), Type.Literal('stopped')]),
  lastError: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  jid: Type.Union([Type.String(), Type.Null()]),
  lid: Type.Union([Type.String(), Type.Null()]),
  pushName: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  statusChangedAt: Type.Integer(),
  connectedAt: Type.Union([Type.Integer(), Type.Null()]),
})
export type Session = Static<typeof Session>
