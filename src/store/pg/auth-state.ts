// Baileys' auth state on PostgreSQL: the same rows as store/auth-state-sql.ts (creds and Signal keys by
// (session, type, id), values sealed by the caller), answering promises. Writes are fenced by the session's lease
// like every other write a session makes: a node that lost the lease advances no ratchet.
import type { SQL, TransactionSQL } from 'bun'
import { fenced, LeaseLost, type LeaseRef } from '../../cluster/fencing.ts'
import type { AuthOp } from '../auth-state-sql.ts'

export type PgAuthStateSql = ReturnType<typeof createPgAuthStateSql>

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
  const apply = async (tx: SQL, sessionId: string, ops: AuthOp[]) => {
    for (const op of ops) {
      if (op.value)
        await tx`INSERT INTO auth_state (session_id, type, id, value) VALUES (${sessionId}, ${op.type}, ${op.id}, ${op.value})
          ON CONFLICT (session_id, type, id) DO UPDATE SET value = excluded.value`
      else await tx`DELETE FROM auth_state WHERE session_id = ${sessionId} AND type = ${op.type} AND id = ${op.id}`
    }
  }
  return {
    async read(sessionId: string, type: string, id: string): Promise<Uint8Array | null> {
      const rows: { value: Uint8Array }[] =
        await sql`SELECT value FROM auth_state WHERE session_id = ${sessionId} AND type = ${type} AND id = ${id}`
      return rows[0]?.value ?? null
    },
    /** Upserts (value) or deletes (null) every op atomically; LeaseLost (nothing written) without the lease. */
    async write(sessionId: string, ops: AuthOp[]): Promise<void> {
      if (ops.length) await write(sessionId, (tx) => apply(tx, sessionId, ops))
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
