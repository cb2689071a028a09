// Media repository on PostgreSQL (src/store/media.ts is the SQLite one): stored files, who references them,
// uploads, and retention. Multi-statement changes run in one transaction, as there.
import type { SQL, TransactionSQL } from 'bun'
import type { Async } from '../contract.ts'
import type { MediaRepo, MediaUpload } from '../media.ts'
import type { PgDb } from './db.ts'
import { num } from './rows.ts'

export function createPgMediaRepo(pg: PgDb): Async<MediaRepo> {
  const { sql } = pg
  const ref = (tx: SQL | TransactionSQL, sha256: string, sessionId: string, owner: string, now: number) =>
    tx`INSERT INTO media_refs (sha256, session_id, owner, created_at) VALUES (${sha256}, ${sessionId}, ${owner}, ${now})
      ON CONFLICT DO NOTHING`

  return {
    async file(sha256: string) {
      const [r] = await sql`SELECT sha256, size FROM media_files WHERE sha256 = ${sha256}`
      return r ? { sha256: r.sha256 as string, size: num(r.size) } : null
    },
    async added(
      sha256: string,
      size: number,
      holder: { sessionId: string; owner: string } | null,
      now: number,
      keepUntil = 0,
    ) {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO media_files (sha256, size, created_at, keep_until)
          VALUES (${sha256}, ${size}, ${now}, ${holder ? 0 : keepUntil})
          ON CONFLICT (sha256) DO UPDATE SET keep_until = greatest(media_files.keep_until, excluded.keep_until)`
        if (holder) await ref(tx, sha256, holder.sessionId, holder.owner, now)
      })
    },
    async ref(sha256: string, sessionId: string, owner: string, now: number) {
      await ref(sql, sha256, sessionId, owner, now)
    },
    async unref(sha256: string, sessionId: string, owner: string) {
      await sql`DELETE FROM media_refs WHERE sha256 = ${sha256} AND session_id = ${sessionId} AND owner = ${owner}`
    },
    async takeOrphans(now: number, limit: number): Promise<string[]> {
      // One statement: the files are chosen and forgotten together. SKIP LOCKED leaves a file another node is
      // taking (or re-adding) to that node.
      const rows = await sql`DELETE FROM media_files WHERE sha256 IN (
          SELECT sha256 FROM media_files f WHERE keep_until <= ${now}
            AND NOT EXISTS (SELECT 1 FROM media_refs r WHERE r.sha256 = f.sha256)
          LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING sha256`
      return rows.map((r: { sha256: string }) => r.sha256)
    },
    async createUpload(u: MediaUpload) {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO media_uploads (id, session_id, sha256, mimetype, size, filename, created_at)
          VALUES (${u.id}, ${u.sessionId}, ${u.sha256}, ${u.mimetype}, ${u.size}, ${u.filename}, ${u.createdAt})`
        await ref(tx, u.sha256, u.sessionId, `upload:${u.id}`, u.createdAt)
      })
    },
    async upload(sessionId: string, id: string): Promise<MediaUpload | null> {
      const [r] = await sql`SELECT id, session_id, sha256, mimetype, size, filename, created_at FROM media_uploads
        WHERE session_id = ${sessionId} AND id = ${id}`
      return r
        ? {
            id: r.id,
            sessionId: r.session_id,
            sha256: r.sha256,
            mimetype: r.mimetype,
            size: num(r.size),
            filename: r.filename,
            createdAt: num(r.created_at),
          }
        : null
    },
    async expire(cutoff: number, now: number, limit = 500): Promise<number> {
      return sql.begin(async (tx) => {
        const refs = await tx`DELETE FROM media_refs WHERE (session_id, owner, sha256) IN (
            SELECT session_id, owner, sha256 FROM media_refs WHERE created_at < ${cutoff}
            LIMIT ${limit} FOR UPDATE SKIP LOCKED)
          RETURNING owner`
        for (const { owner } of refs as { owner: string }[]) {
          if (owner.startsWith('upload:')) await tx`DELETE FROM media_uploads WHERE id = ${owner.slice(7)}`
          if (owner.startsWith('message:')) {
            // Retention leaves the message and its download coordinates; only the bytes go.
            const pk = Number(owner.slice(8))
            await tx`UPDATE message_media SET status = 'skipped', error = 'removed by retention', updated_at = ${now}
              WHERE message_pk = ${pk}`
            // SQLite's json_set keeps the stored key order and text form; jsonb would reorder the keys, so the
            // JSON is edited here the same way (the status replaced in place, or added last).
            const [m] = await tx`SELECT media FROM messages WHERE pk = ${pk} AND media IS NOT NULL FOR UPDATE`
            if (m) {
              const media = JSON.parse(m.media as string) as Record<string, unknown>
              media.status = 'skipped'
              await tx`UPDATE messages SET media = ${JSON.stringify(media)} WHERE pk = ${pk}`
            }
          }
        }
        return refs.length
      })
    },
  }
}
