// The event catalogue: every type the outbox carries, what its `data` holds (the REST API's own shapes),
// and when it fires. The same table documents the events in OpenAPI (as webhooks) and in the README.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { Channel } from '../domain/channel.ts'
import { Chat } from '../domain/chat.ts'
import { PresenceState } from '../domain/contact.ts'
import { Group, GroupParticipant, ParticipantAction } from '../domain/group.ts'
import { Message } from '../domain/message.ts'
import { Session } from '../domain/session.ts'

const SessionQr = Type.Object({ sessionId: Type.String(), qr: Type.String(), expiresAt: Type.Integer() })
const Reaction = Type.Object({
  message: Message,
  reactor: Type.String({ description: 'JID of who reacted' }),
  reaction: Type.Union([Type.String(), Type.Null()], { description: 'The emoji; null when a reaction was removed' }),
  timestamp: Type.Integer(),
})
const PollVote = Type.Object({
  message: Message,
  voter: Type.String({ description: 'JID of who voted (PN when known, else LID)' }),
  options: Type.Array(Type.String(), { description: "The voter's options now; empty when the vote was withdrawn" }),
  timestamp: Type.Integer(),
})
const Test = Type.Object({ webhookId: Type.String(), message: Type.String() })
const GroupParticipants = Type.Object({
  groupJid: Type.String(),
  action: ParticipantAction,
  participants: Type.Array(GroupParticipant, { description: 'The members this change really affected' }),
  actor: Type.Union([Type.String(), Type.Null()], {
    description: 'JID of who made the change, when WhatsApp says: by phone number when known, else the LID',
  }),
})
const Presence = Type.Object({
  chatJid: Type.String({ description: 'The chat the presence was seen in (a DM or a group)' }),
  jid: Type.String({ description: 'Whose presence it is' }),
  presence: PresenceState,
  lastSeen: Type.Union([Type.Integer(), Type.Null()], { description: 'Epoch ms, when WhatsApp tells' }),
})

/** Each type with its data schema and a sentence saying when it fires. */
export const catalogue = {
  /** The session's lifecycle status or last error changed (starting, qr, connected, reconnecting, logged_out…). */
  'session.status': { data: Session, when: "A session's status or last error changed; data is the Session." },
  /** A new QR code is waiting to be scanned; fires again on every refresh until paired. */
  'session.qr': { data: SessionQr, when: 'A new QR code is ready to scan (again on every refresh until paired).' },
  /** A message from someone else was stored (live or from history sync). */
  'message.received': { data: Message, when: 'A message from someone else was stored; data is the Message.' },
  /** A message sent from this number was stored: through the API (status pending) or from the phone. */
  'message.sent': { data: Message, when: 'A message from this number was stored (API send or the phone).' },
  /** WhatsApp acknowledged a message further: sent → delivered → read → played, or error. */
  'message.status': { data: Message, when: "A message's ack status changed (sent, delivered, read, played, error)." },
  /** A message was edited; data carries the new body. */
  'message.edited': { data: Message, when: 'A message was edited; data carries the new body.' },
  /** A message was deleted for everyone (revoked). */
  'message.deleted': { data: Message, when: 'A message was revoked (deleted for everyone).' },
  /** Someone reacted to a message, or removed their reaction (reaction null). */
  'message.reaction': { data: Reaction, when: 'A reaction was added, changed or removed (reaction null).' },
  /** A message's media was downloaded (media.status stored) or its download failed for good (failed). */
  'message.media': {
    data: Message,
    when: "A message's media became available (media.status stored) or its download failed for good (failed).",
  },
  /** A vote on a stored poll was decrypted; data.message.poll carries the new tally. */
  'poll.vote': {
    data: PollVote,
    when: 'Someone voted on a poll (or changed or withdrew a vote); data.message.poll is the new tally.',
  },
  /** A message arrived that could not be decrypted; stored as a placeholder. */
  'message.undecryptable': { data: Message, when: 'A message could not be decrypted; a placeholder was stored.' },
  /** A chat changed on WhatsApp's side: name, archive, pin, mute, unread count. */
  'chat.updated': {
    data: Chat,
    when:
      'A chat changed on WhatsApp: name, archived, pinned, muted, unread count. data is the Chat as the API serves ' +
      "it: a DM's name falls back to the contact's address-book, push or business name, a group's to its subject.",
  },
  /** A chat was deleted on WhatsApp (through the API or on the phone); it and its messages left the stored copy. */
  'chat.deleted': { data: Chat, when: 'A chat was deleted (API or phone); data is its last stored state.' },
  /** A group's metadata changed or a group became known: subject, description, settings, timer, members. */
  'group.updated': {
    data: Group,
    when:
      'A group became known or its subject, description, announce/locked settings, disappearing timer or member ' +
      'list changed (ours, the phone, another admin); data is the Group.',
  },
  /** Members were added, removed, promoted or demoted (by us, the phone or another admin). */
  'group.participants': {
    data: GroupParticipants,
    when: 'Members were added, removed, promoted or demoted, by anyone; lists only the members really changed.',
  },
  /** A contact's presence changed in a chat (after :subscribePresence, or typing in a shared chat). */
  'presence.updated': {
    data: Presence,
    when: "A contact's presence changed (available, unavailable, composing, recording, paused); not stored.",
  },
  /** A followed or owned channel published a post. */
  'channel.post': { data: Message, when: 'A followed or owned channel published a post; data is the Message.' },
  /** A channel's metadata or our relation to it changed (created, followed, unfollowed, muted). */
  'channel.updated': { data: Channel, when: 'A channel was created, followed, unfollowed, muted or changed.' },
  /** Sent by POST /webhooks/{id}:test to that webhook only; never matches a pattern, never in the pull API. */
  'webhook.test': { data: Test, when: 'POST /webhooks/{id}:test; only to that webhook, never in pull or stream.' },
} as const satisfies Record<string, { data: TSchema; when: string }>

export type EventType = keyof typeof catalogue

/** The envelope of one event type, as delivered everywhere (webhook body, SSE data, pull item). */
const envelopeOf = <K extends EventType>(type: K) =>
  Type.Object({
    id: Type.String({ description: 'evt_<ulid>; the webhook-id header; dedupe on it' }),
    type: Type.Literal(type),
    createdAt: Type.Integer({ description: 'Commit time, epoch ms' }),
    orgId: Type.String(),
    sessionId: Type.Union([Type.String(), Type.Null()]),
    data: catalogue[type].data as (typeof catalogue)[K]['data'],
  })

/** The typed union of every event: switch on `type` and `data` narrows. */
export const AnyEvent = Type.Union((Object.keys(catalogue) as EventType[]).map(envelopeOf))
export type AnyEvent = { [K in EventType]: Static<ReturnType<typeof envelopeOf<K>>> }[EventType]

/** OpenAPI 3.1 `webhooks`: one entry per event type, the POST a receiver gets. */
export function openapiWebhooks() {
  const headers = {
    'webhook-id': { required: true, schema: { type: 'string' }, description: 'The event id; dedupe on it' },
    'webhook-timestamp': { required: true, schema: { type: 'string' }, description: 'Unix seconds' },
    'webhook-signature': {
      required: true,
      schema: { type: 'string' },
      description: 'Space-separated v1,<base64 HMAC-SHA256 of "id.timestamp.body">',
    },
  }
  return Object.fromEntries(
    (Object.keys(catalogue) as EventType[]).map((type) => [
      type,
      {
        post: {
          summary: type,
          description: catalogue[type].when,
          parameters: Object.entries(headers).map(([name, h]) => ({ name, in: 'header', ...h })),
          requestBody: { required: true, content: { 'application/json': { schema: envelopeOf(type) } } },
          responses: { '2XX': { description: 'Delivered; any other status is retried or fails (see README)' } },
        },
      },
    ]),
  )
}
