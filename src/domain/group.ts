// The Group object as the API serves it (stored metadata and members), and per-participant results.
import { Type, type Static } from '@sinclair/typebox'

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()])

export const GroupAdmin = Type.Union([Type.Literal('admin'), Type.Literal('superadmin'), Type.Null()], {
  description: 'null for a plain member; superadmin is the creator',
})
export type GroupAdmin = Static<typeof GroupAdmin>

export const GroupParticipant = Type.Object({
  jid: Type.String({ description: 'The member as WhatsApp addresses it in this group (PN or LID JID)' }),
  lid: nullable(Type.String({ description: 'LID JID, when known' })),
  phone: nullable(Type.String({ description: 'Phone number (digits), when known' })),
  admin: GroupAdmin,
})
export type GroupParticipant = Static<typeof GroupParticipant>

export const Group = Type.Object({
  id: Type.Integer({ description: 'Stable numeric id of the stored group' }),
  sessionId: Type.String(),
  jid: Type.String({ description: 'The group JID, e.g. 120363012345678901@g.us' }),
  subject: nullable(Type.String()),
  description: nullable(Type.String()),
  owner: nullable(Type.String({ description: 'JID of the creator' })),
  createdAt: nullable(Type.Integer({ description: 'When WhatsApp created the group, epoch ms' })),
  announce: Type.Boolean({ description: 'Only admins may send messages' }),
  locked: Type.Boolean({ description: 'Only admins may change the group settings' }),
  ephemeralSeconds: Type.Integer({ minimum: 0, description: 'Disappearing-messages timer; 0 = off' }),
  size: Type.Integer({ minimum: 0, description: 'Number of stored members' }),
  participants: Type.Array(GroupParticipant),
})
export type Group = Static<typeof Group>

export const ParticipantAction = Type.Union([
  Type.Literal('add'),
  Type.Literal('remove'),
  Type.Literal('promote'),
  Type.Literal('demote'),
])
export type ParticipantAction = Static<typeof ParticipantAction>

/** WhatsApp's answer for one participant of an add/remove/promote/demote. */
export const ParticipantResult = Type.Object({
  jid: Type.String(),
  status: Type.Integer({ description: "WhatsApp's code for this participant: 200 done, 403 refused by privacy…" }),
  error: Type.Optional(
    Type.String({
      description: 'Why it failed: not_authorized, privacy_refused, not_on_whatsapp, already_member, recently_left…',
    }),
  ),
})
export type ParticipantResult = Static<typeof ParticipantResult>

/** WhatsApp's per-participant codes (research/fakewa-media-groups.md §2.1) as stable words. */
const reasons: Record<number, string> = {
  400: 'bad_request',
  401: 'not_authorized',
  403: 'privacy_refused',
  404: 'not_on_whatsapp',
  406: 'not_allowed',
  408: 'recently_left',
  409: 'already_member',
  500: 'internal',
}

export function participantResult(jid: string, status: number): ParticipantResult {
  return status >= 200 && status < 300 ? { jid, status } : { jid, status, error: reasons[status] ?? 'failed' }
}

/** `…@g.us` with a numeric (optionally dashed legacy) id. */
export const isGroupJid = (jid: string) => /^[0-9]{5,30}(-[0-9]{5,15})?@g\.us$/.test(jid)

export const GroupPatch = Type.Object(
  {
    subject: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    description: Type.Optional(Type.String({ maxLength: 2048, description: 'Empty string clears it' })),
    announce: Type.Optional(Type.Boolean({ description: 'Only admins may send messages' })),
    locked: Type.Optional(Type.Boolean({ description: 'Only admins may change the group settings' })),
    ephemeralSeconds: Type.Optional(
      Type.Union([Type.Literal(0), Type.Literal(86_400), Type.Literal(604_800), Type.Literal(7_776_000)], {
        description: 'Disappearing-messages timer: 0 (off), 1 day, 7 days or 90 days',
      }),
    ),
  },
  { minProperties: 1 },
)
export type GroupPatch = Static<typeof GroupPatch>
