// Lifecycle requests for a session no node runs (no live lease): they become desired state in the database, and the
// node that takes the lease acts on it (the lease manager takes only sessions whose desired state is `running`).
// Stop and logout write under a lock on the session's lease row, and only while nobody holds it live: a node taking
// the lease meanwhile skips the locked row (FOR UPDATE SKIP LOCKED) and then sees `stopped`, so the write and a
// takeover never cross. When a node does hold it, nothing is written and the caller routes to that node instead.
// A status that changes appends `session.status` in the same transaction, with the Session as data, as the engine
// does on a node running the session: API users watching events see a stop or logout however it was carried out.
import type { SQL, TransactionSQL } from 'bun'
import { sessionFromRow } from '../store/sessions.ts'
import { appendPg } from '../store/pg/events.ts'
import { num, numOrNull } from '../store/pg/rows.ts'

const NOW = '(floor(extract(epoch from clock_timestamp()) * 1000))::bigint'

export type Unowned = {
  /** Marks the session to run: the next lease round of any node below its fair share starts it. */
  run(sessionId: string): Promise<void>
  /** Desired and status `stopped` (as the engine's stop); false when a node holds the lease (route there). */
  stop(sessionId: string): Promise<boolean>
  /**
   * Wipes the WhatsApp credentials, desired `stopped`, status `logged_out` (as the engine's logout of a session that
   * is not connected: WhatsApp is not told, there is no socket to tell it with); false when a node holds the lease.
   */
  logout(sessionId: string): Promise<boolean>
}

export function pgUnowned(sql: SQL): Unowned {
  const now = () => sql.unsafe(NOW)

  function whileUnowned(sessionId: string, write: (tx: TransactionSQL) => Promise<void>): Promise<boolean> {
    return sql.begin(async (tx) => {
      const [lease]: { node_id: string | null; live: boolean }[] = await tx`
        SELECT node_id, expires_at > ${now()} AS live FROM session_leases WHERE session_id = ${sessionId} FOR UPDATE`
      if (lease?.node_id && lease.live) return false
      await write(tx)
      return true
    })
  }

  async function settle(tx: TransactionSQL, sessionId: string, status: 'stopped' | 'logged_out') {
    const [before]: { status: string; last_error: string | null }[] = await tx`
      SELECT status, last_error FROM sessions WHERE id = ${sessionId} FOR UPDATE`
    if (!before) return
    const [r] = await tx`
      UPDATE sessions SET desired_state = 'stopped', status = ${status}, last_error = NULL, updated_at = ${now()},
        status_changed_at = CASE WHEN status = ${status} THEN status_changed_at ELSE ${now()} END
      WHERE id = ${sessionId}
      RETURNING id, org_id, name, metadata, desired_state, status, last_error, phone, jid, lid, push_name,
        undecryptable_count, created_at, updated_at, status_changed_at, connected_at`
    if (before.status === status && before.last_error === null) return
    const session = sessionFromRow({
      id: r.id,
      orgId: r.org_id,
      name: r.name,
      metadata: r.metadata,
      desiredState: r.desired_state,
      status: r.status,
      lastError: r.last_error,
      phone: r.phone,
      jid: r.jid,
      lid: r.lid,
      pushName: r.push_name,
      undecryptableCount: num(r.undecryptable_count),
      createdAt: num(r.created_at),
      updatedAt: num(r.updated_at),
      statusChangedAt: num(r.status_changed_at),
      connectedAt: numOrNull(r.connected_at),
    })
    await appendPg(tx, { type: 'session.status', orgId: session.orgId, sessionId, data: session }, session.updatedAt)
  }

  return {
    async run(sessionId) {
      await sql`UPDATE sessions SET desired_state = 'running', updated_at = ${now()} WHERE id = ${sessionId}`
    },
    stop: (sessionId) => whileUnowned(sessionId, (tx) => settle(tx, sessionId, 'stopped')),
    logout: (sessionId) =>
      whileUnowned(sessionId, async (tx) => {
        await tx`DELETE FROM auth_state WHERE session_id = ${sessionId}`
        await settle(tx, sessionId, 'logged_out')
      }),
  }
}
