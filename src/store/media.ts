// Media repository: stored files, who references them, uploads (mediaId), and retention. The files themselves
// are written by src/media/store.ts; these rows say which exist and who holds them.
import type { Db } from './db.ts'

export type MediaUpload = {
  id: string
  sessionId: string
  sha256: string
  mimetype: string
  size: number
  filename: string | null
  createdAt: number
}

export type MediaRepo = ReturnType<typeof createMediaRepo>

export function createMediaRepo(db: Db) {
  const q = db.sqlite.query.bind(db.sqlite)
  const insertFile = q<unknown, [string, number, number, number]>(
    `INSERT INTO media_files (sha256, size, created_at, keep_until) VALUES (?1, ?2, ?3, ?4)
     ON CONFLICT DO UPDATE SET keep_until = max(keep_until, excluded.keep_until)`,
  )
  const file = q<{ sha256: string; size: number }, [string]>('SELECT sha256, size FROM media_files WHERE sha256 = ?')
  const ref = q<unknown, [string, string, string, number]>(
    'INSERT INTO media_refs (sha256, session_id, owner, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
  )
  const unref = q<unknown, [string, string, string]>(
    'DELETE FROM media_refs WHERE sha256 = ? AND session_id = ? AND owner = ?',
  )
  const orphans = q<{ sha256: string }, [number, number]>(
    `SELECT sha256 FROM media_files f
     WHERE keep_until <= ?1 AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.sha256 = f.sha256) LIMIT ?2`,
  )
  const deleteFile = q<unknown, [string]>('DELETE FROM media_files WHERE sha256 = ?')
  const insertUpload = q<unknown, [string, string, string, string, number, string | null, number]>(
    `INSERT INTO media_uploads (id, session_id, sha256, mimetype, size, filename, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const upload = q<MediaUpload, [string, string]>(
    `SELECT id, session_id AS sessionId, sha256, mimetype, size, filename, created_at AS createdAt
     FROM media_uploads WHERE session_id = ? AND id = ?`,
  )
  const expired = q<{ sha256: string; session_id: string; owner: string }, [number, number]>(
    'SELECT sha256, session_id, owner FROM media_refs WHERE created_at < ? LIMIT ?',
  )
  const deleteUpload = q<unknown, [string]>('DELETE FROM media_uploads WHERE id = ?')
  // Retention leaves the message and its download coordinates; only the bytes go.
  const expireMessageMedia = q<unknown, [number, number]>(
    `UPDATE message_media SET status = 'skipped', error = 'removed by retention', updated_at = ?2 WHERE message_pk = ?1`,
  )
  const expireMessageJson = q<unknown, [number]>(
    `UPDATE messages SET media = json_set(media, '$.status', 'skipped') WHERE pk = ? AND media IS NOT NULL`,
  )

  return {
    file: (sha256: string) => file.get(sha256),
    /**
     * Records a file that now exists on disk and, in the same transaction, its first reference; a file without one
     * is kept unreferenced until `keepUntil`.
     */
    added(
      sha256: string,
      size: number,
      holder: { sessionId: string; owner: string } | null,
      now: number,
      keepUntil = 0,
    ) {
      db.sqlite.transaction(() => {
        insertFile.run(sha256, size, now, holder ? 0 : keepUntil)
        if (holder) ref.run(sha256, holder.sessionId, holder.owner, now)
      })()
    },
    ref: (sha256: string, sessionId: string, owner: string, now: number) => void ref.run(sha256, sessionId, owner, now),
    unref: (sha256: string, sessionId: string, owner: string) => void unref.run(sha256, sessionId, owner),
    /** Forgets up to `limit` files nobody references and returns their hashes (the caller deletes the files). */
    takeOrphans(now: number, limit: number): string[] {
      return db.sqlite.transaction(() => {
        const shas = orphans.all(now, limit).map((r) => r.sha256)
        for (const s of shas) deleteFile.run(s)
        return shas
      })()
    },
    createUpload(u: MediaUpload) {
      db.sqlite.transaction(() => {
        insertUpload.run(u.id, u.sessionId, u.sha256, u.mimetype, u.size, u.filename, u.createdAt)
        ref.run(u.sha256, u.sessionId, `upload:${u.id}`, u.createdAt)
      })()
    },
    upload: (sessionId: string, id: string) => upload.get(sessionId, id),
    /**
     * Drops up to `limit` references created before `cutoff`: an upload is forgotten, a message's media becomes
     * `skipped`. Returns how many were dropped; the sweep then deletes files left without references.
     */
    expire(cutoff: number, now: number, limit = 500): number {
      return db.sqlite.transaction(() => {
        const refs = expired.all(cutoff, limit)
        for (const r of refs) {
          unref.run(r.sha256, r.session_id, r.owner)
          if (r.owner.startsWith('upload:')) deleteUpload.run(r.owner.slice(7))
          if (r.owner.startsWith('message:')) {
            const pk = Number(r.owner.slice(8))
            expireMessageMedia.run(pk, now)
            expireMessageJson.run(pk)
          }
        }
        return refs.length
      })()
    },
  }
}
