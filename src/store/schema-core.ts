// The drizzle schema, part one: organisations, keys, sessions, the stored copy, events, auth state and webhooks.
// Re-exported by schema.ts, the single entry point drizzle-kit and the repositories read.
import { sql } from 'drizzle-orm'
import { blob, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core'

const now = sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`

export const orgs = sqliteTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: integer('created_at').notNull().default(now),
})

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** The public lookup part of the key (`wgk_<prefix>_…`); the secret part is only stored hashed. */
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    capabilities: text('capabilities').notNull(),
    createdAt: integer('created_at').notNull().default(now),
    expiresAt: integer('expires_at'),
    revokedAt: integer('revoked_at'),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [uniqueIndex('api_keys_prefix').on(t.prefix), index('api_keys_org').on(t.orgId, t.id)],
)

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    metadata: text('metadata').notNull().default('{}'),
    /** What the operator asked for: `running` sessions are restored at boot. */
    desiredState: text('desired_state').notNull().default('stopped'),
    status: text('status').notNull().default('stopped'),
    lastError: text('last_error'),
    phone: text('phone'),
    jid: text('jid'),
    lid: text('lid'),
    pushName: text('push_name'),
    undecryptableCount: integer('undecryptable_count').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
    statusChangedAt: integer('status_changed_at').notNull().default(now),
    connectedAt: integer('connected_at'),
  },
  (t) => [index('sessions_org').on(t.orgId, t.id)],
)

export const chats = sqliteTable(
  'chats',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    type: text('type').notNull(),
    name: text('name'),
    unreadCount: integer('unread_count').notNull().default(0),
    archived: integer('archived', { mode: 'boolean' }).notNull().default(false),
    /** Pin time in ms; 0 when not pinned. Pinned chats sort first, most recently pinned on top. */
    pinnedAt: integer('pinned_at').notNull().default(0),
    mutedUntil: integer('muted_until'),
    /** 0 until the chat has a message; kept non-null so the display order is one index range. */
    lastMessageAt: integer('last_message_at').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('chats_session_jid').on(t.sessionId, t.jid),
    index('chats_display').on(t.sessionId, t.pinnedAt, t.lastMessageAt, t.id),
  ],
)

export const messages = sqliteTable(
  'messages',
  {
    pk: integer('pk').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    chatJid: text('chat_jid').notNull(),
    /** The WhatsApp message id (the API's `id` and `waMessageId`). */
    waId: text('wa_id').notNull(),
    /** Channel posts carry a server id; posts are deduped on it. */
    serverId: integer('server_id'),
    fromMe: integer('from_me', { mode: 'boolean' }).notNull(),
    senderJid: text('sender_jid'),
    senderLid: text('sender_lid'),
    senderName: text('sender_name'),
    type: text('type').notNull(),
    body: text('body'),
    media: text('media'),
    mentions: text('mentions').notNull().default('[]'),
    mentionNames: text('mention_names').notNull().default('{}'),
    quotedId: text('quoted_id'),
    status: text('status').notNull(),
    ackLevel: integer('ack_level').notNull().default(0),
    error: text('error'),
    edited: integer('edited', { mode: 'boolean' }).notNull().default(false),
    deleted: integer('deleted', { mode: 'boolean' }).notNull().default(false),
    reactions: text('reactions').notNull().default('{}'),
    /** JSON of the API's `location` / `contacts` / `poll` objects, for messages of those kinds. */
    location: text('location'),
    contacts: text('contacts'),
    poll: text('poll'),
    timestamp: integer('timestamp').notNull(),
    createdAt: integer('created_at').notNull().default(now),
  },
  (t) => [
    // Unique per chat, keyed id first: receipts, reactions and edits find a message by its id alone (a receipt may
    // name the LID chat of a message stored under the PN one), and a lookup by session and id must not scan the
    // session's messages (it did, and the soak's rate fell as the store grew: scripts/bench/soak.ts).
    uniqueIndex('messages_session_wa_chat').on(t.sessionId, t.waId, t.chatJid),
    index('messages_chat_time').on(t.sessionId, t.chatJid, t.timestamp, t.pk),
    uniqueIndex('messages_channel_server')
      .on(t.sessionId, t.chatJid, t.serverId)
      .where(sql`server_id IS NOT NULL`),
  ],
)

export const channels = sqliteTable(
  'channels',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    name: text('name'),
    description: text('description'),
    role: text('role'),
    following: integer('following', { mode: 'boolean' }).notNull().default(false),
    muted: integer('muted', { mode: 'boolean' }).notNull().default(false),
    subscribers: integer('subscribers'),
    lastPostAt: integer('last_post_at'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('channels_session_jid').on(t.sessionId, t.jid), index('channels_list').on(t.sessionId, t.id)],
)

export const contacts = sqliteTable(
  'contacts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** Phone-number JID (`<digits>@s.whatsapp.net`) when known. */
    jid: text('jid'),
    /** LID (`<digits>@lid`) when known; a contact may be known by either or both. */
    lid: text('lid'),
    name: text('name'),
    notify: text('notify'),
    verifiedName: text('verified_name'),
    /** Set once WhatsApp accepted our block (or the phone's, through a blocklist notification). */
    blocked: integer('blocked', { mode: 'boolean' }).notNull().default(false),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [
    uniqueIndex('contacts_session_jid')
      .on(t.sessionId, t.jid)
      .where(sql`jid IS NOT NULL`),
    uniqueIndex('contacts_session_lid')
      .on(t.sessionId, t.lid)
      .where(sql`lid IS NOT NULL`),
    index('contacts_list').on(t.sessionId, t.id),
  ],
)

/** Group metadata as WhatsApp last told us; handed to Baileys as its group-metadata cache. */
export const groups = sqliteTable(
  'groups',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    subject: text('subject'),
    description: text('description'),
    /** Baileys' description id: WhatsApp wants it as `prev` when the description changes. */
    descriptionId: text('description_id'),
    owner: text('owner'),
    ownerPn: text('owner_pn'),
    /** When WhatsApp created the group, epoch ms. */
    waCreatedAt: integer('wa_created_at'),
    announce: integer('announce', { mode: 'boolean' }).notNull().default(false),
    locked: integer('locked', { mode: 'boolean' }).notNull().default(false),
    /** Disappearing-messages timer in seconds; 0 = off. */
    ephemeralSeconds: integer('ephemeral_seconds').notNull().default(0),
    /** `pn` or `lid`: how WhatsApp addresses the members (Baileys encrypts accordingly). */
    addressingMode: text('addressing_mode'),
    /** Epoch ms the full member list was last fetched or created; null = members not known yet. */
    syncedAt: integer('synced_at'),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [uniqueIndex('groups_session_jid').on(t.sessionId, t.jid), index('groups_list').on(t.sessionId, t.id)],
)

/** Members of a stored group; `jid` exactly as WhatsApp addresses the member in that group (PN or LID). */
export const groupParticipants = sqliteTable(
  'group_participants',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    groupJid: text('group_jid').notNull(),
    jid: text('jid').notNull(),
    lid: text('lid'),
    pn: text('pn'),
    /** null | admin | superadmin */
    admin: text('admin'),
    /**
     * The member's place in the group's list: one past the group's last when first stored, never changed by an
     * update, so members list in the order they were stored on both databases.
     */
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.groupJid, t.jid] }),
    index('group_participants_position').on(t.sessionId, t.groupJid, t.position),
  ],
)

/** The outbox: one row per event, appended in the same transaction as the state change. */
export const events = sqliteTable(
  'events',
  {
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    orgId: text('org_id').notNull(),
    sessionId: text('session_id'),
    type: text('type').notNull(),
    createdAt: integer('created_at').notNull(),
    data: text('data').notNull(),
    /** Makes replays idempotent: the same source change never yields a second event. */
    dedupeKey: text('dedupe_key'),
  },
  (t) => [
    uniqueIndex('events_id').on(t.id),
    index('events_org_seq').on(t.orgId, t.seq),
    // No index on created_at: every event would pay for it, and retention walks the rowid order instead (events.ts).
    uniqueIndex('events_dedupe')
      .on(t.dedupeKey)
      .where(sql`dedupe_key IS NOT NULL`),
  ],
)

/** Baileys auth state: creds (type `creds`, id ``) and signal keys, values encrypted at rest. */
export const authState = sqliteTable(
  'auth_state',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    id: text('id').notNull(),
    value: blob('value', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.type, t.id] })],
)

/** Remembers the first answer to a request sent with an Idempotency-Key, for 24 h. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    orgId: text('org_id').notNull(),
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    bodyHash: text('body_hash').notNull(),
    status: integer('status').notNull(),
    response: text('response').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.scope, t.key] }), index('idempotency_created').on(t.createdAt)],
)

/** Webhook endpoints of an organisation; `hwm` is the last events.seq already fanned out to it. */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** JSON array of type patterns: `message.received`, `message.*`, `*`. */
    events: text('events').notNull(),
    /** JSON array of session ids, or null for every session of the org. */
    sessionIds: text('session_ids'),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    description: text('description'),
    /** Why the gateway disabled it (e.g. the endpoint answered 410); null when enabled by hand. */
    disabledReason: text('disabled_reason'),
    /** The signing secret, AES-256-GCM encrypted under the server key. */
    secret: text('secret').notNull(),
    /** The previous secret after a rotation, still used for signing until `previous_expires_at`. */
    previousSecret: text('previous_secret'),
    previousExpiresAt: integer('previous_expires_at'),
    /** Fan-out high-water mark: advanced in the same transaction that inserts the deliveries. */
    hwm: integer('hwm').notNull().default(0),
    createdAt: integer('created_at').notNull().default(now),
    updatedAt: integer('updated_at').notNull().default(now),
  },
  (t) => [index('webhooks_org').on(t.orgId, t.id)],
)

/** One event to deliver to one webhook; every attempt is appended to `attempts` (JSON array). */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    pk: integer('pk').primaryKey({ autoIncrement: true }),
    id: text('id').notNull(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventSeq: integer('event_seq').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    sessionId: text('session_id'),
    /** pending | sending | succeeded | failed */
    status: text('status').notNull(),
    attemptCount: integer('attempt_count').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    attempts: text('attempts').notNull().default('[]'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('deliveries_id').on(t.id),
    index('deliveries_webhook').on(t.webhookId, t.pk),
    index('deliveries_due')
      .on(t.webhookId, t.nextAttemptAt)
      .where(sql`status = 'pending'`),
  ],
)
