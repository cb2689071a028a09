// `wagate migrate-to-postgres --from DATA_DIR --to URL`: moves a SQLite deployment into an empty PostgreSQL
// database, WhatsApp credentials included (copied as stored, still sealed under the same secret key), so linked
// phones keep working without a new QR. The data dir is locked for the copy: a running serve makes it refuse.
// The media files go with it when `mediaTo` names the nodes' shared media directory (migrate-media.ts): copied
// after the target was found empty and before the database, so a refused target leaves everything as it was and
// a failed database copy can simply be run again (files already copied are skipped).
import { Database } from 'bun:sqlite'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { lockDataDir } from '../store/data-dir.ts'
import { migrationsApplied } from '../store/migrate.ts'
import { SecretKeyMismatch } from '../cluster/secret-key.ts'
import { CopyMismatch, copySqliteToPg, refuseNonEmpty, TargetNotEmpty, type CopyResult } from '../store/pg/copy.ts'
import { isPostgresUrl, openPg, redactUrl } from '../store/pg/db.ts'
import { loadSecretKey } from '../whatsapp/secret-key.ts'
import { copyMedia, type MediaCopyResult } from './migrate-media.ts'

export class MigrateToPgError extends Error {
  override name = 'MigrateToPgError'
}

/** The errors that mean "refused, nothing written": printed as one line, exit code 1. */
export const isRefusal = (e: unknown): e is Error =>
  e instanceof MigrateToPgError ||
  e instanceof TargetNotEmpty ||
  e instanceof CopyMismatch ||
  e instanceof SecretKeyMismatch

export type MigrateToPgOptions = {
  from: string
  to: string
  /** WAGATE_SECRET_KEY, when the deployment did not keep its key in DATA_DIR/secret.key. */
  secretKey?: string | undefined
  /** `--media-to DIR`: copy DATA_DIR/media's files there (the directory every node will use as DATA_DIR/media). */
  mediaTo?: string | undefined
  /** One line of progress (no newline). */
  log: (line: string) => void
}

export async function migrateToPostgres(o: MigrateToPgOptions): Promise<CopyResult & { media: MediaCopyResult }> {
  if (!isPostgresUrl(o.to)) throw new MigrateToPgError('--to must be a postgres:// or postgresql:// URL')
  const dbFile = join(o.from, 'wagate.db')
  if (!existsSync(dbFile)) throw new MigrateToPgError(`no wagate database at ${dbFile}`)
  if (!o.secretKey && !existsSync(join(o.from, 'secret.key')))
    throw new MigrateToPgError(
      `no secret key: ${join(o.from, 'secret.key')} is missing; pass the deployment's key as WAGATE_SECRET_KEY`,
    )
  const secretKey = loadSecretKey({ configured: o.secretKey, dataDir: o.from })
  const lock = lockDataDir(o.from)
  const sqlite = new Database(dbFile, { readonly: true })
  const pg = openPg(o.to, { max: 1 })
  try {
    if (!migrationsApplied(sqlite))
      throw new MigrateToPgError(`the SQLite database is behind this version: run wagate migrate --data-dir ${o.from}`)
    await refuseNonEmpty(pg.sql)
    const media = await copyMedia({ sqlite, dataDir: o.from, to: o.mediaTo ?? null, log: o.log })
    o.log(`copying ${dbFile} into ${redactUrl(o.to)}`)
    const every = 10_000
    const copied = await copySqliteToPg({
      sqlite,
      sql: pg.sql,
      secretKey,
      progress: (p) => {
        if (p.done) o.log(`${p.table}: ${p.copied} rows`)
        else if (p.copied % every < 1000 && p.copied >= every) o.log(`${p.table}: ${p.copied}/${p.total} rows…`)
      },
    })
    return { ...copied, media }
  } catch (e) {
    if (e instanceof Error && /ECONNREFUSED|ENOTFOUND|connect|authentication|does not exist/i.test(e.message))
      throw new MigrateToPgError(`PostgreSQL at ${redactUrl(o.to)}: ${e.message}`)
    throw e
  } finally {
    await pg.close()
    sqlite.close()
    lock.release()
  }
}
