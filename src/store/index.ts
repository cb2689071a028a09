// Builds every repository over one database.
import { createSealer } from '../domain/sealer.ts'
import { createCursorCodec, cursorKeyOf } from './cursor.ts'
import { createApiKeyStore } from './api-keys.ts'
import { createAuthEpoch } from './auth-epoch.ts'
import { createChannelStore } from './channels.ts'
import { createChatStore } from './chats.ts'
import { createContactStore } from './contacts.ts'
import { asyncRepo, type Repos } from './contract.ts'
import type { Db } from './db.ts'
import { createDeliveryStore } from './deliveries.ts'
import { createEventStore } from './events.ts'
import { createGroupStore } from './groups.ts'
import { createIdempotencyStore } from './idempotency.ts'
import { createMediaRepo } from './media.ts'
import { createMessageStore } from './messages.ts'
import { migrationsApplied } from './migrate.ts'
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

/**
 * The async bundle (store/contract.ts) over SQLite stores. Each call still runs synchronously, in call order, and
 * answers a settled promise; the listener registrations are the stores' own.
 */
export function sqliteRepos(stores: Stores): Repos {
  const { events, webhooks } = stores
  return {
    codec: stores.codec,
    orgs: asyncRepo(stores.orgs),
    apiKeys: asyncRepo(stores.apiKeys, ['refreshAuthCaches', 'forVerification']),
    sessions: asyncRepo(stores.sessions, ['owns']),
    chats: asyncRepo(stores.chats),
    messages: asyncRepo(stores.messages),
    channels: asyncRepo(stores.channels),
    groups: asyncRepo(stores.groups),
    contacts: asyncRepo(stores.contacts),
    events: {
      ...asyncRepo({ maxSeq: events.maxSeq, seqOf: events.seqOf, scan: events.scan, prune: events.prune }),
      onCommitted: events.onCommitted,
      observeTransactions: events.observeTransactions,
    },
    idempotency: asyncRepo(stores.idempotency),
    media: asyncRepo(stores.media),
    webhooks: { ...asyncRepo(webhooks), onChange: webhooks.onChange },
    deliveries: asyncRepo(stores.deliveries),
    async health() {
      try {
        return migrationsApplied(stores.db.sqlite) ? { ok: true } : { ok: false, detail: 'migrations pending' }
      } catch (e) {
        return { ok: false, detail: (e as Error).message }
      }
    },
  }
}
