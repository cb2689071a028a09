// The Chat object as the API serves it (spec page "List chats"), and chat-type rules.
import { Type, type Static } from '@sinclair/typebox'

export const ChatType = Type.Union(
  [
    Type.Literal('dm'),
    Type.Literal('group'),
    Type.Literal('channel'),
    Type.Literal('broadcast'),
    Type.Literal('status'),
  ],
  { description: 'What kind of conversation the JID names' },
)
export type ChatType = Static<typeof ChatType>

export const Chat = Type.Object({
  id: Type.Integer({ description: 'Stable numeric id of the stored chat' }),
  sessionId: Type.String(),
  jid: Type.String({
    description:
      'The chat JID, e.g. 6281234567890@s.whatsapp.net. A person has one chat: under the phone-number JID once ' +
      'its LID mapping is known, under the LID (…@lid) until then',
  }),
  lid: Type.Union([Type.String(), Type.Null()], {
    description: "A DM's LID (…@lid) where known; null for groups, channels and DMs whose LID is unknown",
  }),
  type: ChatType,
  name: Type.Union([Type.String(), Type.Null()]),
  unreadCount: Type.Integer({ minimum: 0 }),
  archived: Type.Boolean(),
  pinned: Type.Boolean(),
  mutedUntil: Type.Union([Type.Integer(), Type.Null()], { description: 'Epoch ms; null when not muted' }),
  lastMessageAt: Type.Union([Type.Integer(), Type.Null()], { description: 'Epoch ms of the latest message' }),
})
export type Chat = Static<typeof Chat>

/** The chat type a JID names, from its server part. */
export function chatTypeOf(jid: string): ChatType {
  if (jid === 'status@broadcast') return 'status'
  const server = jid.slice(jid.lastIndexOf('@') + 1)
  if (server === 'g.us') return 'group'
  if (server === 'newsletter') return 'channel'
  if (server === 'broadcast') return 'broadcast'
  return 'dm'
}

/** A chat action (`POST …/chats/{cid}:verb`), applied through WhatsApp's app-state sync. */
export type ChatAction =
  | { kind: 'markRead' | 'markUnread' | 'archive' | 'unarchive' | 'pin' | 'unpin' | 'unmute' | 'delete' }
  | { kind: 'mute'; until: number | null }
