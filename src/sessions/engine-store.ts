// What the session engine stores through, whichever database holds the data: the ingest (every write of a session,
// ingest.ts / ingest-pg.ts) and Baileys' auth-state rows. SQLite answers at once and PostgreSQL with promises; the
// engine awaits either (and skips the await where a synchronous answer is on a hot path, see `then`).
import type { SQL } from 'bun'
import type { LeaseRef } from '../cluster/fencing.ts'
import { createAuthStateSql } from '../store/auth-state-sql.ts'
import type { Db } from '../store/db.ts'
import type { EventStore, TransactionObserver } from '../store/events.ts'
import { createPgAuthStateSql } from '../store/pg/auth-state.ts'
import type { Maybe } from '../whatsapp/auth-cache.ts'
import type { AuthSql } from '../whatsapp/auth-state.ts'
import { createIngest, type Ingest } from './ingest.ts'
import type { MediaPolicy } from './ingest-media.ts'
import { createPgIngest } from './ingest-pg.ts'

export type { Maybe }

/** `T` whose methods answer what they answered, or a promise of it (nested objects alike). */
export type MaybeAsync<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Maybe<Awaited<R>>
    : T[K] extends object
      ? MaybeAsync<T[K]>
      : T[K]
}

/** The ingest as the engine uses it: the SQLite one (synchronous) and the PostgreSQL one (promises) both are. */
export type EngineIngest = MaybeAsync<Ingest>

/** `f` of the value, at once when it is one (SQLite), after it settled when it is a promise (PostgreSQL). */
export const then = <T, U>(v: Maybe<T>, f: (t: T) => Maybe<U>): Maybe<U> => (v instanceof Promise ? v.then(f) : f(v))

/** What the supervisor tells the store when it opens it. */
export type EngineStoreHooks = {
  clock: () => number
  /** Which inbound media becomes a pending download (none without it). */
  mediaPolicy?: MediaPolicy | undefined
  /** A commit made a media download pending for the session. */
  onMediaQueued(sessionId: string): void
}

/** The store pieces of one supervisor: its ingest and its auth-state rows. */
export type EngineStore = { open(hooks: EngineStoreHooks): { ingest: EngineIngest; auth: AuthSql } }

/** The engine on the SQLite data dir: synchronous transactions, as fast as the store allows. */
export function sqliteEngineStore(db: Db, events: EventStore): EngineStore {
  return {
    open: (h) => ({
      ingest: createIngest({ db, events, clock: h.clock, onMediaQueued: h.onMediaQueued, ...policyOf(h) }),
      auth: createAuthStateSql(db),
    }),
  }
}

/**
 * The engine on PostgreSQL. With `leaseOf` (a cluster node) every write, auth state included, is fenced by the
 * session's lease: a session this node holds no lease for writes nothing.
 */
export function pgEngineStore(o: {
  sql: SQL
  leaseOf?: ((sessionId: string) => LeaseRef | undefined) | undefined
  nodeId?: string | undefined
  /** A commit appended events (their types): wake the subscribers of every node. */
  onCommitted?: ((types: readonly string[]) => void) | undefined
  /** Watches every committed transaction of the engine, for /metrics. */
  observe?: TransactionObserver | undefined
}): EngineStore {
  const fence = { leaseOf: o.leaseOf, nodeId: o.nodeId }
  return {
    open: (h) => ({
      ingest: createPgIngest({
        sql: o.sql,
        ...fence,
        clock: h.clock,
        onMediaQueued: h.onMediaQueued,
        ...(o.onCommitted ? { onCommitted: o.onCommitted } : {}),
        observe: o.observe,
        ...policyOf(h),
      }),
      auth: createPgAuthStateSql(o.sql, o.leaseOf ? fence : {}),
    }),
  }
}

const policyOf = (h: EngineStoreHooks) => (h.mediaPolicy ? { mediaPolicy: h.mediaPolicy } : {})
