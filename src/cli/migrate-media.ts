// The media files of `migrate-to-postgres`: the database says which files exist (media_files); the bytes live in
// DATA_DIR/media/<ab>/<sha256>, which every node of a cluster shares. `--media-to DIR` copies them into DIR (the
// shared volume the nodes will mount as their DATA_DIR/media): each file streamed, checked against its SHA-256 and
// size, synced, then renamed into place, so DIR never holds a partial file and a second run copies only what is
// missing. Without it the files are only counted and checked for presence, and the operator is told what to do.
import type { Database } from 'bun:sqlite'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join, resolve } from 'node:path'

export type MediaCopyResult = {
  /** Files the database records, and their bytes. */
  files: number
  bytes: number
  /** Copied into `to` by this run, and found there already (same size) from an earlier one. */
  copied: number
  alreadyThere: number
  /** Recorded but not in DATA_DIR/media, or there with other content: their messages answer 409 (gone). */
  missing: string[]
  damaged: string[]
  /** Where the files were copied; null when they stay in DATA_DIR/media. */
  to: string | null
}

const SHA256 = /^[0-9a-f]{64}$/
const place = (dir: string, sha: string) => join(dir, sha.slice(0, 2), sha)
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`

/** Copies `from` to `final` through a temp file in `tmp`; false when the bytes are not `sha`/`size`. */
async function copyChecked(from: string, final: string, tmp: string, sha: string, size: number): Promise<boolean> {
  const temp = join(tmp, `${randomUUID()}.part`)
  const hasher = new Bun.CryptoHasher('sha256')
  const out = await open(temp, 'wx', 0o600)
  let n = 0
  try {
    for await (const chunk of Bun.file(from).stream()) {
      hasher.update(chunk)
      n += chunk.byteLength
      await out.write(chunk)
    }
    await out.datasync()
  } catch (e) {
    rmSync(temp, { force: true })
    throw e
  } finally {
    await out.close()
  }
  if (n !== size || hasher.digest('hex') !== sha) {
    rmSync(temp, { force: true })
    return false
  }
  mkdirSync(join(final, '..'), { recursive: true, mode: 0o700 })
  renameSync(temp, final)
  return true
}

/** The files `sqlite` records, copied from `dataDir`/media into `to` (or only checked when `to` is null). */
export async function copyMedia(o: {
  sqlite: Database
  dataDir: string
  to: string | null
  log: (line: string) => void
  /** A progress line every this many files (default 500). */
  every?: number
}): Promise<MediaCopyResult> {
  const source = join(o.dataDir, 'media')
  const rows = o.sqlite
    .query<{ sha256: string; size: number }, []>('SELECT sha256, size FROM media_files ORDER BY sha256')
    .all()
    .filter((r) => SHA256.test(r.sha256))
  const bytes = rows.reduce((a, r) => a + r.size, 0)
  const result: MediaCopyResult = {
    files: rows.length,
    bytes,
    copied: 0,
    alreadyThere: 0,
    missing: [],
    damaged: [],
    to: o.to ? resolve(o.to) : null,
  }
  const to = result.to
  if (to) {
    mkdirSync(join(to, 'tmp'), { recursive: true, mode: 0o700 })
    if (existsSync(source) && realpathSync(to) === realpathSync(source)) result.to = null // already in place
  }
  const dest = result.to
  o.log(
    dest
      ? `media: copying ${rows.length} files (${mb(bytes)}) from ${source} to ${dest}`
      : `media: checking ${rows.length} files (${mb(bytes)}) in ${source}`,
  )
  const every = o.every ?? 500
  let done = 0
  let doneBytes = 0
  for (const r of rows) {
    const from = place(source, r.sha256)
    const size = existsSync(from) ? statSync(from).size : -1
    if (size !== r.size) (size < 0 ? result.missing : result.damaged).push(r.sha256)
    else if (dest) {
      const final = place(dest, r.sha256)
      if (existsSync(final) && statSync(final).size === r.size) result.alreadyThere++
      else if (await copyChecked(from, final, join(dest, 'tmp'), r.sha256, r.size)) result.copied++
      else result.damaged.push(r.sha256)
    }
    done++
    doneBytes += r.size
    if (done % every === 0 && done < rows.length)
      o.log(`media: ${done}/${rows.length} files (${mb(doneBytes)}/${mb(bytes)})…`)
  }
  const lost = result.missing.length + result.damaged.length
  const lostNote = lost
    ? `; ${result.missing.length} missing and ${result.damaged.length} damaged in ${source} (their messages ` +
      `answer 409: the media is gone), e.g. ${[...result.missing, ...result.damaged].slice(0, 3).join(', ')}`
    : ''
  if (dest)
    o.log(
      `media: ${result.copied} files copied to ${dest}, ${result.alreadyThere} already there${lostNote}; ` +
        `every node must use ${dest} as its DATA_DIR/media`,
    )
  else if (to) o.log(`media: ${rows.length - lost} files already in ${source}, nothing to copy${lostNote}`)
  else
    o.log(
      `media: ${rows.length - lost} files stay in ${source}, not copied${lostNote}; every node must use that ` +
        'directory as its DATA_DIR/media (a shared volume), or copy them with --media-to DIR',
    )
  return result
}
