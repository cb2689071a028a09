// Fenced writes: a session's writes run in a transaction that first checks, under a key-share lock, that this node
// still holds the session's lease at the epoch it acquired. A node that lost the lease (paused past expiry,
// partitioned) gets LeaseLost and its transaction writes nothing. A node taking the lease over locks the row FOR
// UPDATE (leases.ts), which conflicts with the key-share lock: it passes over (SKIP LOCKED) a lease with a fenced
// write in flight, and a fenced write that starts after it waits and then finds the new epoch, so the two never
// interleave. The holder's own renewal updates no key column, so its writes in flight never hold it up (a share
// lock would: a slow write transaction would then cost the node its leases).
import type { SQL, TransactionSQL } from 'bun'

export type LeaseRef = { sessionId: string; nodeId: string; epoch: number }

export class LeaseLost extends Error {
  constructor(readonly lease: LeaseRef) {
    super(`node ${lease.nodeId} no longer holds the lease of session ${lease.sessionId} at epoch ${lease.epoch}`)
    this.name = 'LeaseLost'
  }
}

/**
 * Runs `write` in a transaction that commits only while `lease` is current; otherwise throws LeaseLost (and the
 * transaction rolls back, whatever `write` did).
 *
 * The lease check is pipelined with the write's first statements rather than a round trip ahead of them: PostgreSQL
 * runs a connection's statements in the order they were sent, so the key-share lock is taken (or found missing)
 * before any statement of the write runs, and the commit waits for the check's answer.
 */
export async function fenced<T>(sql: SQL, lease: LeaseRef, write: (tx: TransactionSQL) => Promise<T>): Promise<T> {
  return await sql.begin(async (tx) => {
    const held = (async () => {
      const rows: unknown[] = await tx`
        SELECT 1 AS held FROM session_leases
        WHERE session_id = ${lease.sessionId} AND node_id = ${lease.nodeId} AND epoch = ${lease.epoch}
        FOR KEY SHARE`
      return rows.length > 0
    })()
    held.catch(() => {}) // awaited below, whichever way the write ends
    let out: T
    try {
      out = await write(tx)
    } catch (e) {
      if (!(await held.catch(() => false))) throw new LeaseLost(lease)
      throw e
    }
    if (!(await held)) throw new LeaseLost(lease)
    return out
  })
}
