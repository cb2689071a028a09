// Raw prepared statements for Baileys' auth state rows (creds and signal keys), one set per db.
import type { Db } from './db.ts'

export type AuthStateSql = ReturnType<typeof createAuthStateSql>

/** One auth-state row change: an upsert (sealed value) or a delete (null). */
export type AuthOp = { type: string; id: string; value: Uint8Array | null }

/**
 * The Signal key writes Baileys made while decrypting one message, sealed, handed to the receipt hook so they
 * commit in the same transaction as the message (see whatsapp/auth-state.ts). Whoever writes them sets `stored`.
 */
export type KeyWrites = {
  ops: AuthOp[]
  stored: boolean
  /** False when the writes must not commit: they were read from a ratchet step that failed to commit. */
  valid?: () => boolean
  /** The store calls it, at once, when it could not commit them: what was decrypted after them is refused. */
  failed?: () => void
}

/**
 * Values are opaque (already encrypted) buffers. `write` applies a whole batch of upserts and deletes
 * in one synchronous transaction and throws on failure: Baileys commits several key types per call and
 * retries a failed commit, so a partial write or a swallowed error would corrupt the Signal ratchets.
 */
export function createAuthStateSql(db: Db) {
  const { sqlite } = db
  const select = sqlite.query<{ value: Uint8Array }, [string, string, string]>(
    'SELECT value FROM auth_state WHERE session_id = ? AND type = ? AND id = ?',
  )
  const upsert = sqlite.query<unknown, [string, string, string, Uint8Array]>(
    `INSERT INTO auth_state (session_id, type, id, value) VALUES (?, ?, ?, ?)
     ON CONFLICT (session_id, type, id) DO UPDATE SET value = excluded.value`,
  )
  const remove = sqlite.query<unknown, [string, string, string]>(
    'DELETE FROM auth_state WHERE session_id = ? AND type = ? AND id = ?',
  )
  const wipe = sqlite.query<unknown, [string]>('DELETE FROM auth_state WHERE session_id = ?')
  const count = sqlite.query<{ n: number }, [string]>('SELECT count(*) AS n FROM auth_state WHERE session_id = ?')

  const apply = (sessionId: string, ops: AuthOp[]) => {
    for (const op of ops) {
      if (op.value) upsert.run(sessionId, op.type, op.id, op.value)
      else remove.run(sessionId, op.type, op.id)
    }
  }
  const writeTx = sqlite.transaction(apply)

  return {
    read(sessionId: string, type: string, id: string): Uint8Array | null {
      return select.get(sessionId, type, id)?.value ?? null
    },
    /** Upserts (value) or deletes (null) every op atomically. */
    write(sessionId: string, ops: AuthOp[]): void {
      if (ops.length) writeTx.immediate(sessionId, ops)
    },
    /** The same changes inside the caller's transaction (the receipt hook's), which commits or rolls them back. */
    apply,
    /** Removes the creds and every key of a session (logout, 401, failed pairing). */
    wipe(sessionId: string): void {
      wipe.run(sessionId)
    },
    count(sessionId: string): number {
      return count.get(sessionId)?.n ?? 0
    },
  }
}
