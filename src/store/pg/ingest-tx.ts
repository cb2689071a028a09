// How the PostgreSQL ingest statements run on one transaction's connection (the statements are in ingest.ts and
// ingest-messages.ts). Rows come back in the SQLite shape the ingest steps compare against: flags 0/1 (boolean columns
// here), times and ids numbers (bigint here, which Bun.SQL reads as strings; all are below 2^53).
import type { SQL } from 'bun'

/** One transaction's connection, and the types of the events it appended (to wake subscribers after commit). */
export type PgTx = { tx: SQL; appended: string[] }

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

export const exec = async (c: PgTx, text: string, params: unknown[]): Promise<void> => {
  await c.tx.unsafe(text, params)
}
export const bool = (v: number) => v === 1
