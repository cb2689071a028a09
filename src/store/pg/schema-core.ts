// PostgreSQL mirror of src/store/schema-core.ts: the same tables, columns, keys and indexes (test/store/pg-schema
// keeps the two from drifting). Times and ids are bigint read as numbers, flags are boolean, blobs are bytea;
// JSON stays text so a row copies from SQLite byte for byte.
import { sql } from 'drizzle-orm'
import { boolean, index, integer, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { big, bytea, nowMs, xid8 } from './columns.ts'

export const orgs = pgTable('orgs', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  createdAt: big('created_at').notNull().default(nowMs),
})

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    hash: text('hash').notNull(),
    capabilities: text('capabilities').notNull(),
    createdAt: big('created_at').notNull().default(nowMs),
    expiresAt: big('expires_at'),
    revokedAt: big('revoked_at'),
    lastUsedAt: big('last_used_at'),
  },
  (t) => [uniqueIndex('api_keys_prefix').on(t.prefix), index('api_keys_org').on(t.orgId, t.id)],
)

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    metadata: text('metadata').notNull().default('{}'),
    desiredState: text('desired_state').notNull().default('stopped'),
    status: text('status').notNull().default('stopped'),
    lastError: text('last_error'),
    phone: text('phone'),
    jid: text('jid'),
    lid: text('lid'),
    pushName: text('push_name'),
    undecryptableCount: integer('undecryptable_count').notNull().default(0),
    createdAt: big('created_at').notNull().default(nowMs),
    updatedAt: big('updated_at').notNull().default(nowMs),
    statusChangedAt: big('status_changed_at').notNull().default(nowMs),
    connectedAt: big('connected_at'),
  },
  (t) => [index('sessions_org').on(t.orgId, t.id)],
)

export const chats = pgTable(
  'chats',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    type: text('type').notNull(),
    name: text('name'),
    unreadCount: integer('unread_count').notNull().default(0),
    archived: boolean('archived').notNull().default(false),
    pinnedAt: big('pinned_at').notNull().default(0),
    mutedUntil: big('muted_until'),
    lastMessageAt: big('last_message_at').notNull().default(0),
    createdAt: big('created_at').notNull().default(nowMs),
    updatedAt: big('updated_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('chats_session_jid').on(t.sessionId, t.jid),
    index('chats_display').on(t.sessionId, t.pinnedAt, t.lastMessageAt, t.id),
  ],
)

export const messages = pgTable(
  'messages',
  {
    pk: big('pk').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    chatJid: text('chat_jid').notNull(),
    waId: text('wa_id').notNull(),
    serverId: big('server_id'),
    fromMe: boolean('from_me').notNull(),
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
    edited: boolean('edited').notNull().default(false),
    deleted: boolean('deleted').notNull().default(false),
    reactions: text('reactions').notNull().default('{}'),
    location: text('location'),
    contacts: text('contacts'),
    poll: text('poll'),
    timestamp: big('timestamp').notNull(),
    createdAt: big('created_at').notNull().default(nowMs),
  },
  (t) => [
    uniqueIndex('messages_session_wa_chat').on(t.sessionId, t.waId, t.chatJid),
    index('messages_chat_time').on(t.sessionId, t.chatJid, t.timestamp, t.pk),
    uniqueIndex('messages_channel_server')
      .on(t.sessionId, t.chatJid, t.serverId)
      .where(sql`server_id IS NOT NULL`),
  ],
)

export const channels = pgTable(
  'channels',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    name: text('name'),
    description: text('description'),
    role: text('role'),
    following: boolean('following').notNull().default(false),
    muted: boolean('muted').notNull().default(false),
    subscribers: big('subscribers'),
    lastPostAt: big('last_post_at'),
    createdAt: big('created_at').notNull().default(nowMs),
    updatedAt: big('updated_at').notNull().default(nowMs),
  },
  (t) => [uniqueIndex('channels_session_jid').on(t.sessionId, t.jid), index('channels_list').on(t.sessionId, t.id)],
)

export const contacts = pgTable(
  'contacts',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid'),
    lid: text('lid'),
    name: text('name'),
    notify: text('notify'),
    verifiedName: text('verified_name'),
    blocked: boolean('blocked').notNull().default(false),
    updatedAt: big('updated_at').notNull().default(nowMs),
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

export const groups = pgTable(
  'groups',
  {
    id: big('id').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    jid: text('jid').notNull(),
    subject: text('subject'),
    description: text('description'),
    descriptionId: text('description_id'),
    owner: text('owner'),
    ownerPn: text('owner_pn'),
    waCreatedAt: big('wa_created_at'),
    announce: boolean('announce').notNull().default(false),
    locked: boolean('locked').notNull().default(false),
    ephemeralSeconds: integer('ephemeral_seconds').notNull().default(0),
    addressingMode: text('addressing_mode'),
    syncedAt: big('synced_at'),
    createdAt: big('created_at').notNull().default(nowMs),
    updatedAt: big('updated_at').notNull().default(nowMs),
  },
  (t) => [uniqueIndex('groups_session_jid').on(t.sessionId, t.jid), index('groups_list').on(t.sessionId, t.id)],
)

export const groupParticipants = pgTable(
  'group_participants',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    groupJid: text('group_jid').notNull(),
    jid: text('jid').notNull(),
    lid: text('lid'),
    pn: text('pn'),
    admin: text('admin'),
    /** As SQLite's: the member's place in the group's list, set when first stored, never changed by an update. */
    position: integer('position').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.groupJid, t.jid] }),
    index('group_participants_position').on(t.sessionId, t.groupJid, t.position),
  ],
)

export const events = pgTable(
  'events',
  {
    seq: big('seq').primaryKey().generatedByDefaultAsIdentity(),
    id: text('id').notNull(),
    orgId: text('org_id').notNull(),
    sessionId: text('session_id'),
    type: text('type').notNull(),
    createdAt: big('created_at').notNull(),
    data: text('data').notNull(),
    dedupeKey: text('dedupe_key'),
    // PostgreSQL only: the writing transaction. Seq order is not commit order with concurrent writers, so
    // readers walk (xid, seq) up to the oldest running transaction (src/store/pg/events.ts).
    xid: xid8('xid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
  },
  (t) => [
    uniqueIndex('events_id').on(t.id),
    index('events_org_seq').on(t.orgId, t.seq),
    // PostgreSQL only: the commit-safe read order, per organisation and overall (the head).
    index('events_org_xid').on(t.orgId, t.xid, t.seq),
    index('events_xid').on(t.xid, t.seq),
    // No index on created_at (as in SQLite): retention walks the seq order.
    uniqueIndex('events_dedupe')
      .on(t.dedupeKey)
      .where(sql`dedupe_key IS NOT NULL`),
  ],
)

export const authState = pgTable(
  'auth_state',
  {
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    id: text('id').notNull(),
    value: bytea('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.type, t.id] })],
)

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    orgId: text('org_id').notNull(),
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    bodyHash: text('body_hash').notNull(),
    status: integer('status').notNull(),
    response: text('response').notNull(),
    createdAt: big('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.scope, t.key] }), index('idempotency_created').on(t.createdAt)],
)

export const webhooks = pgTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    orgId: text('org_id')
      .notNull()
      .references(() => orgs.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    events: text('events').notNull(),
    sessionIds: text('session_ids'),
    enabled: boolean('enabled').notNull().default(true),
    description: text('description'),
    disabledReason: text('disabled_reason'),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousExpiresAt: big('previous_expires_at'),
    hwm: big('hwm').notNull().default(0),
    createdAt: big('created_at').notNull().default(nowMs),
    updatedAt: big('updated_at').notNull().default(nowMs),
  },
  (t) => [index('webhooks_org').on(t.orgId, t.id)],
)

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    pk: big('pk').primaryKey().generatedByDefaultAsIdentity(),
    id: text('id').notNull(),
    webhookId: text('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    eventSeq: big('event_seq').notNull(),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    sessionId: text('session_id'),
    status: text('status').notNull(),
    attemptCount: integer('attempt_count').notNull().default(0),
    nextAttemptAt: big('next_attempt_at').notNull(),
    attempts: text('attempts').notNull().default('[]'),
    createdAt: big('created_at').notNull(),
    updatedAt: big('updated_at').notNull(),
    // PostgreSQL only: which node holds a 'sending' claim and until when (it renews while alive), and whether
    // fan-out made the row (at most one such row per webhook and event; redeliveries are extra rows).
    claimedBy: text('claimed_by'),
    claimedUntil: big('claimed_until'),
    fannedOut: boolean('fanned_out').notNull().default(false),
  },
  (t) => [
    uniqueIndex('deliveries_id').on(t.id),
    uniqueIndex('deliveries_fanout')
      .on(t.webhookId, t.eventSeq)
      .where(sql`fanned_out`),
    index('deliveries_claims')
      .on(t.webhookId, t.claimedUntil)
      .where(sql`status = 'sending'`),
    index('deliveries_webhook').on(t.webhookId, t.pk),
    index('deliveries_due')
      .on(t.webhookId, t.nextAttemptAt)
      .where(sql`status = 'pending'`),
  ],
)
