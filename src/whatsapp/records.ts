// Baileys-free records that normalize produces and ingest stores; the boundary types of src/whatsapp/.
import type { Media, MessageStatus, MessageType } from '../domain/message.ts'
import type { ChatType } from '../domain/chat.ts'

/** One message as stored: identity, sender (both PN and LID when known), content and ack. */
export type MessageRecord = {
  chatJid: string
  waId: string
  /** Channel posts only: the server id posts are deduped on. */
  serverId: number | null
  fromMe: boolean
  senderJid: string | null
  senderLid: string | null
  senderName: string | null
  type: MessageType
  body: string | null
  media: Media | null
  mentions: string[]
  mentionNames: Record<string, string>
  quotedId: string | null
  status: MessageStatus
  /** Epoch ms the message was sent. */
  timestamp: number
  /** A Signal decryption failure placeholder (CIPHERTEXT stub); real content may replace it later. */
  undecryptable: boolean
}

/** A change to a chat. Unread is either a delta (new messages) or a reset (read on another device, history). */
export type ChatPatch = {
  jid: string
  type: ChatType
  name?: string | null
  unread?: { delta: number } | { set: number } | { atLeast: number }
  archived?: boolean
  /** Pin time in ms, 0 = unpinned. */
  pinnedAt?: number
  /** Epoch ms; -1 forever; null = not muted. */
  mutedUntil?: number | null
  lastMessageAt?: number
}

export type ContactRecord = {
  jid: string | null
  lid: string | null
  name?: string | null
  notify?: string | null
  verifiedName?: string | null
}

/** A change to a stored message, matched by (waId, fromMe) because receipts may name the LID chat. */
export type MessageUpdate = {
  chatJid: string
  waId: string
  fromMe: boolean
  status?: MessageStatus
  error?: string
  /** New body of an edited message. */
  editedBody?: string
  revoked?: boolean
}

export type ReactionRecord = {
  chatJid: string
  /** The reacted-to message. */
  waId: string
  reactor: string
  /** Empty = reaction removed. */
  text: string
  timestamp: number
}

export type LidMapping = { lid: string; pn: string }

/** A group member as WhatsApp names it: `jid` is its address in the group (PN or LID), the other id when known. */
export type ParticipantRecord = {
  jid: string
  lid: string | null
  pn: string | null
  admin: 'admin' | 'superadmin' | null
}

/** Group metadata, complete (a fetch, a create) or one field changed (a notification); absent = unchanged. */
export type GroupRecord = {
  jid: string
  subject?: string | null
  description?: string | null
  descriptionId?: string | null
  owner?: string | null
  ownerPn?: string | null
  createdAt?: number | null
  announce?: boolean
  locked?: boolean
  ephemeralSeconds?: number
  addressingMode?: 'pn' | 'lid' | null
  /** The complete member list: replaces the stored one. */
  participants?: ParticipantRecord[]
}

export type GroupParticipantsChange = {
  groupJid: string
  action: 'add' | 'remove' | 'promote' | 'demote' | 'modify'
  participants: ParticipantRecord[]
  /** Who did it (JID), when WhatsApp says. */
  actor: string | null
}

export type PresenceRecord = {
  /** The chat the presence was seen in (a DM's JID or a group's). */
  chatJid: string
  jid: string
  state: 'available' | 'unavailable' | 'composing' | 'recording' | 'paused'
  /** Epoch ms, when WhatsApp tells. */
  lastSeen: number | null
}

/** Everything one Baileys event batch changes; ingest stores it in one transaction. */
export type Batch = {
  /** `live`: arrived through messages.upsert (notify, or append: offline backlog, own echoes); false = history sync. */
  messages: { record: MessageRecord; live: boolean }[]
  chats: ChatPatch[]
  contacts: ContactRecord[]
  updates: MessageUpdate[]
  reactions: ReactionRecord[]
  lidMappings: LidMapping[]
  groups: GroupRecord[]
  participants: GroupParticipantsChange[]
  presences: PresenceRecord[]
  /** Chats deleted on another device (app-state sync). */
  chatDeletes: string[]
  /** Block-list changes (account_sync notifications). */
  blocks: { jid: string; blocked: boolean }[]
}

export const emptyBatch = (): Batch => ({
  messages: [],
  chats: [],
  contacts: [],
  updates: [],
  reactions: [],
  lidMappings: [],
  groups: [],
  participants: [],
  presences: [],
  chatDeletes: [],
  blocks: [],
})
