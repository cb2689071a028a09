// Builds every PostgreSQL repository over one pool: the same names and types as the SQLite bundle
// (src/store/index.ts), each `Async<...>` of the SQLite repository's type. One line per area.
import { createSealer } from '../../domain/sealer.ts'
import { createCursorCodec, cursorKeyOf } from '../cursor.ts'
import { createPgApiKeyStore } from './api-keys.ts'
import { createPgAuthEpoch } from './auth-epoch.ts'
import { createPgChannelStore } from './channels.ts'
import { createPgChatStore } from './chats.ts'
import { createPgContactStore } from './contacts.ts'
import type { PgDb } from './db.ts'
import { createPgDeliveryStore } from './deliveries.ts'
import { createPgEventStore, type EventLog } from './events.ts'
import { createPgGroupStore } from './groups.ts'
import { createPgIdempotencyStore } from './idempotency.ts'
import { createPgMediaRepo } from './media.ts'
import { createPgMessageStore } from './messages.ts'
import { createPgOrgStore } from './orgs.ts'
import { createPgSessionStore } from './sessions.ts'
import { createPgWebhookStore } from './webhooks.ts'

export type PgRepos = ReturnType<typeof createPgRepos>

/**
 * `secretKey` (the cluster's 32-byte key) signs cursors exactly as SQLite's repositories do. `nodeId` is the node
 * these repositories work for: webhook deliveries are claimed under it, so a restarted node finds its own claims
 * (releaseInFlight) and its record/unclaim calls touch nothing another node holds. `onError` hears failed
 * LISTEN/NOTIFY wake-ups and claim renewals. Call `deliveries.close()` at shutdown (it stops the claim renewals).
 */
export function createPgRepos(
  pg: PgDb,
  secretKey: Uint8Array,
  opts: { nodeId: string; onError?: (err: unknown) => void; claimLeaseMs?: number },
) {
  const { nodeId, onError, claimLeaseMs } = opts
  const codec = createCursorCodec(cursorKeyOf(secretKey))
  const authEpoch = createPgAuthEpoch(pg)
  const events = createPgEventStore(pg, { onError })
  return {
    pg,
    codec,
    authEpoch,
    orgs: createPgOrgStore(pg),
    apiKeys: createPgApiKeyStore(pg, codec, authEpoch),
    sessions: createPgSessionStore(pg, codec, authEpoch),
    chats: createPgChatStore(pg, codec),
    messages: createPgMessageStore(pg, codec),
    channels: createPgChannelStore(pg, codec),
    groups: createPgGroupStore(pg, codec),
    contacts: createPgContactStore(pg, codec),
    idempotency: createPgIdempotencyStore(pg),
    media: createPgMediaRepo(pg),
    events: events as EventLog,
    webhooks: createPgWebhookStore(pg, codec, createSealer(secretKey), events, { onError }),
    deliveries: createPgDeliveryStore(pg, codec, events, { nodeId, onError, claimLeaseMs }),
  }
}
