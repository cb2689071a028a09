// Builds every repository over one database.
import { createCursorCodec } from '../domain/cursor.ts'
import { createApiKeyStore } from './api-keys.ts'
import { createChannelStore } from './channels.ts'
import { createChatStore } from './chats.ts'
import { createContactStore } from './contacts.ts'
import type { Db } from './db.ts'
import { createDeliveryStore } from './deliveries.ts'
import { createEventStore } from './events.ts'
import { createGroupStore } from './groups.ts'
import { createIdempotencyStore } from './idempotency.ts'
import { createMessageStore } from './messages.ts'
import { createOrgStore } from './orgs.ts'
import { createSessionStore } from './sessions.ts'
import { createWebhookStore } from './webhooks.ts'

export type Stores = ReturnType<typeof createStores>

/** `cursorKey` signs pagination cursors (derived from the data dir's secret key in production). */
export function createStores(db: Db, cursorKey: Uint8Array) {
  const codec = createCursorCodec(cursorKey)
  return {
    db,
    codec,
    orgs: createOrgStore(db),
    apiKeys: createApiKeyStore(db, codec),
    sessions: createSessionStore(db, codec),
    chats: createChatStore(db, codec),
    messages: createMessageStore(db, codec),
    channels: createChannelStore(db, codec),
    groups: createGroupStore(db, codec),
    contacts: createContactStore(db, codec),
    events: createEventStore(db),
    idempotency: createIdempotencyStore(db),
    webhooks: createWebhookStore(db, codec, cursorKey),
    deliveries: createDeliveryStore(db, codec),
  }
}
