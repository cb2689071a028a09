// Builds every repository over one database.
import { createSealer } from '../domain/sealer.ts'
import { createCursorCodec, cursorKeyOf } from './cursor.ts'
import { createApiKeyStore } from './api-keys.ts'
import { createAuthEpoch } from './auth-epoch.ts'
import { createChannelStore } from './channels.ts'
import { createChatStore } from './chats.ts'
import { createContactStore } from './contacts.ts'
import type { Db } from './db.ts'
import { createDeliveryStore } from './deliveries.ts'
import { createEventStore } from './events.ts'
import { createGroupStore } from './groups.ts'
import { createIdempotencyStore } from './idempotency.ts'
import { createMediaRepo } from './media.ts'
import { createMessageStore } from './messages.ts'
import { createOrgStore } from './orgs.ts'
import { createSessionStore } from './sessions.ts'
import { createWebhookStore } from './webhooks.ts'

export type Stores = ReturnType<typeof createStores>

/** `secretKey` (the data dir's 32-byte key) seals secrets at rest; a key derived from it signs pagination cursors. */
export function createStores(db: Db, secretKey: Uint8Array) {
  const codec = createCursorCodec(cursorKeyOf(secretKey))
  const events = createEventStore(db)
  const authEpoch = createAuthEpoch(db)
  return {
    db,
    codec,
    orgs: createOrgStore(db),
    apiKeys: createApiKeyStore(db, codec, authEpoch),
    sessions: createSessionStore(db, codec, authEpoch),
    chats: createChatStore(db, codec),
    messages: createMessageStore(db, codec),
    channels: createChannelStore(db, codec),
    groups: createGroupStore(db, codec),
    contacts: createContactStore(db, codec),
    events,
    idempotency: createIdempotencyStore(db),
    media: createMediaRepo(db),
    webhooks: createWebhookStore(db, codec, createSealer(secretKey)),
    deliveries: createDeliveryStore(db, codec, events),
  }
}
