// The drizzle schema, part two: what sending and media add — the durable send queue, content-addressed media
// files and their references, uploads, per-message media, and polls. Re-exported by schema.ts.
import { sql } from 'drizzle-orm'
import { blob, index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core'
import { messages, sessions } from './schema-core.ts'

/**
 * The durable send queue: one row per accepted outbound operation, written in the same transaction as the
 * `pending` message and its event, with the WhatsApp id chosen then. The session's sender drains it in `pk`
 * order and deletes a row once WhatsApp has the stanza; a crash before that resends under the same id.
 */
export const outboundQueue = sqliteTable(
  'outbound_queue',
  {
    pk: integer('pk').primaryKey({ autoIncrement: true }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    chatJid: text('chat_jid').notNull(),
    /** The stanza's WhatsApp message id (for a send: the stored message's id). */
    waId: text('wa_id').notNull(),
    /** JSON of the Baileys-free OutboundContent (domain/outbound.ts). */
    content: text('content').notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Epoch ms before which the row is not tried again (after a failed attempt). */
    notBefore: integer('not_before').notNull().default(0),
    lastError: text('last_error'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('outbound_queue_session').on(t.sessionId, t.pk)],
)

/** One row per stored file: the content lives at `<dataDir>/media/<sha256[0:2]>/<sha256>` (src/media/store.ts). */
export const mediaFiles = sqliteTable('media_files', {
  sha256: text('sha256').primaryKey(),
  size: integer('size').notNull(),
  createdAt: integer('created_at').notNull(),
  /** A file put without a holder (staged for a send about to be accepted) is kept unreferenced until then. */
  keepUntil: integer('keep_until').notNull().default(0),
})

/**
 * Who holds a file (`owner`: `message:<pk>`, `upload:<mediaId>`, or another module's own key). A file nobody
 * references is deleted by the media store's sweep; deleting a session cascades to its references.
 */
export const mediaRefs = sqliteTable(
  'media_refs',
  {
    sha256: text('sha256').notNull(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    owner: text('owner').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.owner, t.sha256] }),
    index('media_refs_sha').on(t.sha256),
    index('media_refs_created').on(t.createdAt),
  ],
)

/** Files stored by POST /sessions/{sid}/media, sent later by `mediaId`. */
export const mediaUploads = sqliteTable(
  'media_uploads',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    mimetype: text('mimetype').notNull(),
    size: integer('size').notNull(),
    filename: text('filename'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('media_uploads_session').on(t.sessionId, t.createdAt)],
)

/**
 * What Baileys needs to download a message's media later (WhatsApp's media key, path and hashes: never served by
 * the API) and the download job's state. `status` mirrors `messages.media.status`, updated in one transaction.
 */
export const messageMedia = sqliteTable(
  'message_media',
  {
    messagePk: integer('message_pk')
      .primaryKey()
      .references(() => messages.pk, { onDelete: 'cascade' }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    /** Baileys' media type (image, video, ptv, audio, document, sticker): selects the HKDF info. */
    kind: text('kind').notNull(),
    mediaKey: blob('media_key', { mode: 'buffer' }),
    directPath: text('direct_path'),
    url: text('url'),
    /** Hex SHA-256 of the plaintext (WhatsApp's fileSha256): the stored file is verified against it. */
    fileSha256: text('file_sha256'),
    fileEncSha256: text('file_enc_sha256'),
    size: integer('size'),
    /** pending | stored | skipped | failed */
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull().default(0),
    error: text('error'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('message_media_due')
      .on(t.sessionId, t.nextAttemptAt)
      .where(sql`status = 'pending'`),
  ],
)

/** A poll's vote-decryption secret (messageContextInfo.messageSecret) and its option names. */
export const polls = sqliteTable('polls', {
  messagePk: integer('message_pk')
    .primaryKey()
    .references(() => messages.pk, { onDelete: 'cascade' }),
  secret: blob('secret', { mode: 'buffer' }),
  /** JSON array of option names, in order. */
  options: text('options').notNull(),
})

/** The latest decrypted vote of each voter; the message's `poll` JSON is recomputed from these. */
export const pollVotes = sqliteTable(
  'poll_votes',
  {
    messagePk: integer('message_pk')
      .notNull()
      .references(() => polls.messagePk, { onDelete: 'cascade' }),
    voter: text('voter').notNull(),
    /** JSON array of the option names chosen (empty: vote withdrawn). */
    options: text('options').notNull(),
    timestamp: integer('timestamp').notNull(),
  },
  (t) => [primaryKey({ columns: [t.messagePk, t.voter] })],
)
