// Baileys-free records that normalize produces and ingest stores; the boundary types of src/whatsapp/.
import type { ContactCard, Location, MediaInfo, MessageStatus, MessageType } from '../domain/message.ts'
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
  media: MediaInfo | null
  /** What downloading the media later needs (stored, never served). */
  mediaSource?: MediaSource | null
  location?: Location | null
  contacts?: ContactCard[] | null
  poll?: PollRecord | null
  mentions: string[]
  mentionNames: Record<string, string>
  quotedId: string | null
  status: MessageStatus
  /** Epoch ms the message was sent. */
  timestamp: number
  /** A Signal decryption failure placeholder (CIPHERTEXT stub); real content may replace it later. */
  undecryptable: boolean
}

/** WhatsApp's download coordinates of a media message: the key decrypts, the hashes verify. */
export type MediaSource = {
  /** Baileys' media type: image, video, ptv, audio, ptt, document, sticker. */
  kind: string
  mediaKey: Uint8Array | null
  directPath: string | null
  url: string | null
  /** Hex SHA-256 of the plaintext / of the encrypted file. */
  fileSha256: string | null
  fileEncSha256: string | null
  size: number | null
}

/** A poll as created: option names in order and the secret its votes are encrypted under. */
export type PollRecord = { name: string; selectableCount: number; options: string[]; secret: Uint8Array | null }

/** An encrypted poll vote; decrypted at ingest with the poll's stored secret. */
export type PollVoteRecord = {
  chatJid: string
  /** The poll message's id. */
  pollWaId: string
  /** The voter's JIDs (PN and/or LID); the vote is encrypted under one of them. */
  voter: { pn: string | null; lid: string | null }
  encPayload: Uint8Array
  encIv: Uint8Array
  /** Epoch ms the vote was cast. */
  timestamp: number
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
  /**
   * Who made an edit or a delete received from WhatsApp, as the key of the message that carried it names them (by
   * phone number and LID where known, or this account): ingest applies it only when they may (the author; for a
   * delete in a group, also an admin). Absent for our own changes through the API, which the API checked.
   */
  by?: Changer
}

/** The account behind an edit or a delete. */
export type Changer = { fromMe: boolean; pn: string | null; lid: string | null }

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
  pollVotes: PollVoteRecord[]
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
  pollVotes: [],
  lidMappings: [],
  groups: [],
  participants: [],
  presences: [],
  chatDeletes: [],
  blocks: [],
})
