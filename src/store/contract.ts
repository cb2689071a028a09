// The repositories as the rest of the gateway sees them, whichever database holds the data: every method answers
// a promise. SQLite implements them with synchronous bun:sqlite statements (src/store/*.ts, wrapped by `asyncRepo`,
// so its hot paths keep their speed); PostgreSQL implements the same types with Bun.SQL (src/store/pg/*.ts).

import type { ApiKeyStore } from './api-keys.ts'
import type { ChannelStore } from './channels.ts'
import type { ChatStore } from './chats.ts'
import type { ContactStore } from './contacts.ts'
import type { CursorCodec } from './cursor.ts'
import type { DeliveryStore } from './deliveries.ts'
import type { EventStore } from './events.ts'
import type { GroupStore } from './groups.ts'
import type { IdempotencyStore } from './idempotency.ts'
import type { MediaRepo } from './media.ts'
import type { MessageStore } from './messages.ts'
import type { OrgStore } from './orgs.ts'
import type { SessionStore } from './sessions.ts'
import type { WebhookStore } from './webhooks.ts'

/** `T` with every method answering a promise of what it answered before; other members as they are. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K]
}

/** A value now, or a promise of it. */
export type Awaitable<T> = T | Promise<T>

/** `T` with every method answering what it answered before, either at once or as a promise of it. */
export type MaybeAsync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Awaitable<Awaited<R>> : T[K]
}

/**
 * `f` of the value: at once when `v` is one, once it settles when `v` is a promise. What every authenticated
 * request reads goes through this, not `await`: on SQLite it is answered at once, and the read path measured the
 * chain of async functions and settled promises around it at about 3 µs a request (`102c1f1`).
 */
export const andThen = <T, U>(v: Awaitable<T>, f: (value: T) => Awaitable<U>): Awaitable<U> =>
  v instanceof Promise ? v.then(f) : f(v)

/**
 * The async face of a synchronous repository: each call runs at once (so writes keep the order they were made in)
 * and its result, or its exception, comes back as a settled promise. The methods named in `direct` are kept as
 * they are: their callers take a value or a promise (`MaybeAsync`).
 */
export function asyncRepo<T extends object>(repo: T): Async<T>
export function asyncRepo<T extends object, D extends keyof T>(
  repo: T,
  direct: readonly D[],
): Async<Omit<T, D>> & Pick<T, D>
export function asyncRepo<T extends object>(repo: T, direct: readonly (keyof T)[] = []): unknown {
  const out: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(repo)) {
    if (typeof member !== 'function' || direct.includes(name as keyof T)) {
      out[name] = member
      continue
    }
    const fn = member as (...args: unknown[]) => unknown
    out[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn.apply(repo, args))
      } catch (e) {
        return Promise.reject(e)
      }
    }
  }
  return out
}

// The bundle every consumer outside the ingest write path is given (HTTP, auth, events out, the CLI). Data access
// answers promises; the members that are not data access keep their synchronous nature on both dialects:
//   - listener registrations (`events.onCommitted`, `events.observeTransactions`, `webhooks.onChange`) subscribe
//     in-process and return their unsubscribe function at once;
//   - `codec` signs and reads pagination cursors in memory.
// Left out on purpose: `events.append`, `events.transaction` and `events.committed` are the ingest write path's
// (synchronous SQLite transactions, see src/sessions/ingest.ts); nothing else needs them.
// `apiKeys.refreshAuthCaches` reads the auth epoch from the database: the caches it guards (api-key rows, session
// ownership) are consulted only after it answered. It, `apiKeys.forVerification` and `sessions.owns` run on every
// authenticated request and answer at once on SQLite (`MaybeAsync`: a value, or a promise on PostgreSQL).

/** What every authenticated request reads: answered at once on SQLite. */
export type AuthReads = 'refreshAuthCaches' | 'forVerification'
export type ApiKeyRepo = Async<Omit<ApiKeyStore, AuthReads>> & MaybeAsync<Pick<ApiKeyStore, AuthReads>>
export type SessionRepo = Async<Omit<SessionStore, 'owns'>> & MaybeAsync<Pick<SessionStore, 'owns'>>

/** The outbox as readers see it: scans, the head, retention, and commit notifications. */
export type EventRepo = Async<Pick<EventStore, 'maxSeq' | 'seqOf' | 'scan' | 'prune'>> &
  Pick<EventStore, 'onCommitted' | 'observeTransactions'>

/** Webhooks: data access answers promises; `onChange` subscribes in-process. */
export type WebhookRepo = Async<Omit<WebhookStore, 'onChange'>> & Pick<WebhookStore, 'onChange'>

/** Whether the database answers and its schema is complete; `detail` says why not (no secrets in it). */
export type Health = { ok: boolean; detail?: string }

export type Repos = {
  codec: CursorCodec
  orgs: Async<OrgStore>
  apiKeys: ApiKeyRepo
  sessions: SessionRepo
  chats: Async<ChatStore>
  messages: Async<MessageStore>
  channels: Async<ChannelStore>
  groups: Async<GroupStore>
  contacts: Async<ContactStore>
  events: EventRepo
  idempotency: Async<IdempotencyStore>
  media: Async<MediaRepo>
  webhooks: WebhookRepo
  deliveries: Async<DeliveryStore>
  /** The readiness probe (`/readyz`): reachable and migrated. Never throws. */
  health(): Promise<Health>
}
