// PostgreSQL mirror of src/store/schema-media.ts: send queue, media files and references, uploads, per-message
// media and polls (see that file for what each column means).
import { sql } from 'drizzle-orm'
import { index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'
import { big, bytea } from './columns.ts'
import { messages, sessions } from './schema-core.ts'

export const outboundQueue = pgTable(
  'outbound_queue',
  {
    pk: big('pk').primaryKey().generatedByDefaultAsIdentity(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    chatJid: text('chat_jid').notNull(),
    waId: text('wa_id').notNull(),
    content: text('content').notNull(),
    attempts: integer('attempts').notNull().default(0),
    notBefore: big('not_before').notNull().default(0),
    lastError: text('last_error'),
    createdAt: big('created_at').notNull(),
  },
  (t) => [index('outbound_queue_session').on(t.sessionId, t.pk)],
)

export const mediaFiles = pgTable('media_files', {
  sha256: text('sha256').primaryKey(),
  size: big('size').notNull(),
  createdAt: big('created_at').notNull(),
  keepUntil: big('keep_until').notNull().default(0),
})

export const mediaRefs = pgTable(
  'media_refs',
  {
    sha256: text('sha256').notNull(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    owner: text('owner').notNull(),
    createdAt: big('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.sessionId, t.owner, t.sha256] }),
    index('media_refs_sha').on(t.sha256),
    index('media_refs_created').on(t.createdAt),
  ],
)

export const mediaUploads = pgTable(
  'media_uploads',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    sha256: text('sha256').notNull(),
    mimetype: text('mimetype').notNull(),
    size: big('size').notNull(),
    filename: text('filename'),
    createdAt: big('created_at').notNull(),
  },
  (t) => [index('media_uploads_session').on(t.sessionId, t.createdAt)],
)

export const messageMedia = pgTable(
  'message_media',
  {
    messagePk: big('message_pk')
      .primaryKey()
      .references(() => messages.pk, { onDelete: 'cascade' }),
    sessionId: text('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    mediaKey: bytea('media_key'),
    directPath: text('direct_path'),
    url: text('url'),
    fileSha256: text('file_sha256'),
    fileEncSha256: text('file_enc_sha256'),
    size: big('size'),
    status: text('status').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: big('next_attempt_at').notNull().default(0),
    error: text('error'),
    updatedAt: big('updated_at').notNull(),
  },
  (t) => [
    index('message_media_due')
      .on(t.sessionId, t.nextAttemptAt)
      .where(sql`status = 'pending'`),
  ],
)

export const polls = pgTable('polls', {
  messagePk: big('message_pk')
    .primaryKey()
    .references(() => messages.pk, { onDelete: 'cascade' }),
  secret: bytea('secret'),
  options: text('options').notNull(),
})

export const pollVotes = pgTable(
  'poll_votes',
  {
    messagePk: big('message_pk')
      .notNull()
      .references(() => polls.messagePk, { onDelete: 'cascade' }),
    voter: text('voter').notNull(),
    options: text('options').notNull(),
    timestamp: big('timestamp').notNull(),
  },
  (t) => [primaryKey({ columns: [t.messagePk, t.voter] })],
)
