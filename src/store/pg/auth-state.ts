// Baileys' auth state on PostgreSQL: the same rows as store/auth-state-sql.ts (creds and Signal keys by
// (session, type, id), values sealed by the caller), answering promises. Writes are fenced by the session's lease
// like every other write a session makes: a node that lost the lease advances no ratchet.
import type { SQL, TransactionSQL } from 'bun'
import { fenced, LeaseLost, type LeaseRef } from '../../cluster/fencing.ts'
import type { AuthOp } from '../auth-state-sql.ts'

export type PgAuthStateSql = ReturnType<typeof createPgAuthStateSql>

/** Rows per upsert statement: 4 parameters each, well under PostgreSQL's 65,535. */
const ROWS_PER_STATEMENT = 1000

/**
 * Applies a batch of auth-state changes in the caller's transaction, in a few statements instead of one per key: a
 * linked device's first write is its 812 pre-keys, which one INSERT per key kept a transaction (and the session's
 * lease row lock) open for seconds on a loaded node. The last change of a key wins, as applying them in order would.
 */
export async function applyAuthOps(tx: SQL, sessionId: string, ops: readonly AuthOp[]): Promise<void> {
  const last = new Map<string, AuthOp>()
  for (const op of ops) last.set(`${op.type}\u0000${op.id}`, op)
  const upserts: { session_id: string; type: string; id: string; value: Uint8Array }[] = []
  const types: string[] = []
  const ids: string[] = []
  for (const op of last.values()) {
    if (op.value) upserts.push({ session_id: sessionId, type: op.type, id: op.id, value: op.value })
    else {
      types.push(op.type)
      ids.push(op.id)
    }
  }
  // Every statement is started before any is awaited: pipelined, in this order, and all of them started when this
  // function returns its promise (the ingest pipelines it behind later statements of the same transaction).
  const statements: PromiseLike<unknown>[] = []
  for (let i = 0; i < upserts.length; i += ROWS_PER_STATEMENT)
    statements.push(tx`INSERT INTO auth_state ${tx(upserts.slice(i, i + ROWS_PER_STATEMENT), 'session_id', 'type', 'id', 'value')}
      ON CONFLICT (session_id, type, id) DO UPDATE SET value = excluded.value`)
  if (types.length)
    statements.push(tx`DELETE FROM auth_state WHERE session_id = ${sessionId} AND (type, id) IN
      (SELECT * FROM unnest(${tx.array(types, 'text')}::text[], ${tx.array(ids, 'text')}::text[]))`)
  await Promise.all(statements)
}

export function createPgAuthStateSql(
  sql: SQL,
  opts: { leaseOf?: (sessionId: string) => LeaseRef | undefined; nodeId?: string } = {},
) {
  /** One transaction of the session, fenced when this node runs in a cluster. */
  const write = async (sessionId: string, work: (tx: TransactionSQL) => Promise<void>) => {
    if (!opts.leaseOf) return await sql.begin(work)
    const lease = opts.leaseOf(sessionId)
    if (!lease) throw new LeaseLost({ sessionId, nodeId: opts.nodeId ?? 'this node', epoch: 0 })
    await fenced(sql, lease, work)
  }
  return {
    async read(sessionId: string, type: string, id: string): Promise<Uint8Array | null> {
      const rows: { value: Uint8Array }[] =
        await sql`SELECT value FROM auth_state WHERE session_id = ${sessionId} AND type = ${type} AND id = ${id}`
      return rows[0]?.value ?? null
    },
    /** Upserts (value) or deletes (null) every op atomically; LeaseLost (nothing written) without the lease. */
    async write(sessionId: string, ops: AuthOp[]): Promise<void> {
      if (ops.length) await write(sessionId, (tx) => applyAuthOps(tx, sessionId, ops))
    },
    /** Removes the creds and every key of a session (logout, 401, failed pairing). */
    async wipe(sessionId: string): Promise<void> {
      await write(sessionId, async (tx) => void (await tx`DELETE FROM auth_state WHERE session_id = ${sessionId}`))
    },
    async count(sessionId: string): Promise<number> {
      const rows: { n: number }[] = await sql`SELECT count(*)::int AS n FROM auth_state WHERE session_id = ${sessionId}`
      return rows[0]?.n ?? 0
    },
  }
}
