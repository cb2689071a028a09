// Lifecycle requests for a session no node runs (no live lease): they become desired state in the database, and the
// node that takes the lease acts on it (the lease manager takes only sessions whose desired state is `running`).
// Stop and logout write under a lock on the session's lease row, and only while nobody holds it live: a node taking
// the lease meanwhile skips the locked row (FOR UPDATE SKIP LOCKED) and then sees `stopped`, so the write and a
// takeover never cross. When a node does hold it, nothing is written and the caller routes to that node instead.
import type { SQL, TransactionSQL } from 'bun'

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

  const settle = (tx: TransactionSQL, sessionId: string, status: 'stopped' | 'logged_out') => tx`
    UPDATE sessions SET desired_state = 'stopped', status = ${status}, last_error = NULL, updated_at = ${now()},
      status_changed_at = CASE WHEN status = ${status} THEN status_changed_at ELSE ${now()} END
    WHERE id = ${sessionId}`

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
