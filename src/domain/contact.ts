// The Contact object as the API serves it: one person, known by phone-number JID, LID, or both.
import { Type, type Static } from '@sinclair/typebox'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()])

export const Contact = Type.Object({
  jid: nullable(Type.String({ description: 'Phone-number JID (…@s.whatsapp.net), when known' })),
  lid: nullable(Type.String({ description: 'LID JID (…@lid), when known' })),
  phone: nullable(Type.String({ description: 'Phone number (digits), when known' })),
  name: nullable(Type.String({ description: 'Name in the address book of the phone' })),
  pushName: nullable(Type.String({ description: 'The name the contact set for themselves' })),
  businessName: nullable(Type.String({ description: 'Verified business name' })),
  verified: Type.Boolean({ description: 'WhatsApp verified the business name' }),
  blocked: Type.Boolean(),
})
export type Contact = Static<typeof Contact>

export const PresenceState = Type.Union([
  Type.Literal('available'),
  Type.Literal('unavailable'),
  Type.Literal('composing'),
  Type.Literal('recording'),
  Type.Literal('paused'),
])
export type PresenceState = Static<typeof PresenceState>

export const PhoneCheck = Type.Object({
  phone: Type.String({ description: 'The number as asked' }),
  exists: Type.Boolean(),
  jid: nullable(Type.String()),
  lid: nullable(Type.String()),
})
export type PhoneCheck = Static<typeof PhoneCheck>

/** The digits of a phone-number JID (`6281…@s.whatsapp.net` → `6281…`), else null. */
export const phoneOf = (jid: string | null | undefined): string | null =>
  jid && jid.endsWith('@s.whatsapp.net') ? (jid.split('@')[0]!.split(':')[0] ?? null) : null
