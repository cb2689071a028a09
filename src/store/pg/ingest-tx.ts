// How the PostgreSQL ingest statements run on one transaction's connection (the statements are in ingest.ts and
// ingest-messages.ts). Rows come back in the SQLite shape the ingest steps compare against: flags 0/1 (boolean columns
// here), times and ids numbers (bigint here, which Bun.SQL reads as strings; all are below 2^53).
//
// A statement whose answer no step reads (an UPDATE, an event append, the auth-state key writes) is pipelined inside a
// transaction: sent at once, not awaited, its outcome awaited before the commit (`settle`). Bun.SQL sends a
// connection's queries in the order they were started and PostgreSQL runs them in that order, so the transaction
// does exactly what awaiting each would have done, with one round trip fewer per such statement.
import type { SQL } from 'bun'

/**
 * One transaction's connection (or the pool, for reads outside one), the types of the events it appended (to wake
 * subscribers after commit), and, inside a transaction, the pipelined statements not yet settled.
 */
export type PgTx = { tx: SQL; appended: string[]; pending?: Promise<void>[] | undefined }

// Bigint columns (and aliases) the steps read as numbers.
const BIG = new Set([
  'pk',
  'id',
  'seq',
  'server_id',
  'timestamp',
  'created_at',
  'updated_at',
  'pinned_at',
  'muted_until',
  'last_message_at',
  'last_post_at',
  'subscribers',
  'wa_created_at',
  'synced_at',
  'message_pk',
  'size',
  'next_attempt_at',
  'not_before',
  'createdAt',
  'updatedAt',
  'statusChangedAt',
  'connectedAt',
  'at',
])

/** A row in the SQLite shape: booleans as 0/1, bigint strings as numbers. */
function norm<T>(r: Record<string, unknown>): T {
  for (const k in r) {
    const v = r[k]
    if (typeof v === 'boolean') r[k] = v ? 1 : 0
    // `id` is a bigint in some tables (the send queue) and text in others (sessions): only digits are a number.
    else if (typeof v === 'string' && BIG.has(k) && (k !== 'id' || /^\d+$/.test(v))) r[k] = Number(v)
  }
  return r as T
}

export const all = async <T>(c: PgTx, text: string, params: unknown[]): Promise<T[]> => {
  const rows = (await c.tx.unsafe(text, params)) as Record<string, unknown>[]
  return Array.from(rows, (r) => norm<T>(r))
}
export const one = async <T>(c: PgTx, text: string, params: unknown[]): Promise<T | null> =>
  (await all<T>(c, text, params))[0] ?? null

/**
 * `work` (already started: Bun.SQL runs a query once it is awaited, so pass a promise, not a bare query) without
 * waiting for it inside a transaction; awaited at once on the pool.
 */
export function later(c: PgTx, work: Promise<unknown>): Promise<void> {
  const done = work.then(() => {})
  if (!c.pending) return done
  done.catch(() => {}) // settle() reports it, in statement order
  c.pending.push(done)
  return Promise.resolve()
}

/** A statement whose answer nobody reads: pipelined inside a transaction. */
export const exec = (c: PgTx, text: string, params: unknown[]): Promise<void> =>
  later(
    c,
    (async () => {
      await c.tx.unsafe(text, params)
    })(),
  )

/**
 * Runs `body` with pipelining on, then waits for every pipelined statement. On a failure the first failed statement's
 * error is thrown: the statements after it only saw the aborted transaction.
 */
export async function settle<T>(c: PgTx, body: () => Promise<T>): Promise<T> {
  const pending: Promise<void>[] = (c.pending = [])
  try {
    const out = await body()
    for (const p of pending) await p
    return out
  } catch (e) {
    for (const p of pending) await p // throws the first pipelined failure, which came before `e`
    throw e
  } finally {
    c.pending = undefined
  }
}

export const bool = (v: number) => v === 1
