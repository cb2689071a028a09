// The Channel (newsletter) object as the API serves it.
import { Type, type Static } from '@sinclair/typebox'

export const Channel = Type.Object({
  id: Type.Integer(),
  sessionId: Type.String(),
  jid: Type.String({ description: 'Newsletter JID, e.g. 120363012345678901@newsletter' }),
  name: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.String(), Type.Null()], { description: 'owner, admin, subscriber or guest' }),
  following: Type.Boolean(),
  muted: Type.Boolean(),
  subscribers: Type.Union([Type.Integer(), Type.Null()]),
  lastPostAt: Type.Union([Type.Integer(), Type.Null()]),
})
export type Channel = Static<typeof Channel>
