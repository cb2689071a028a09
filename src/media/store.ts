// The content-addressed media store: one file per content under `<dataDir>/media/<ab>/<sha256>`.
//
// Bytes are streamed to a temp file while hashed (never held in memory), fsynced, checked against the expected
// SHA-256 and size cap, then renamed into place: a reader never sees a partial file, a crash leaves only a temp
// file (removed by a later open or retention run once stale). Which files exist and who holds them live in the
// database, SQLite or PostgreSQL alike (the media repository of either, awaited): `put` records the file and its
// first reference in one transaction, `unref` and `sweep` delete what nobody holds.
//
// Several nodes of a cluster share one directory (and one database): a node never removes another's temp files
// while they are fresh, and a sweep that deletes a file puts it back when a concurrent put recorded it meanwhile
// (the put records its row before it looks for the file; the sweep moves the file aside before it looks for the row).
//
//   const media = openMediaStore({ dir: join(dataDir, 'media'), repo: repos.media })
//   const { sha256, size } = await media.put(request.body!, { maxBytes, holder: { sessionId, owner: 'upload:x' } })
//   const got = await media.receive(part, { maxBytes }); …; await got.keep(holder) or got.discard()  // in two steps
//   const file = await media.open(sha256)  // Bun.file, for a Response body (Range: file.slice(a, b + 1))
//   await media.ref(sha256, sessionId, 'send:abc')  // another holder; media.unref(...) drops it and sweeps
import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import type { Async } from '../store/contract.ts'
import type { MediaRepo } from '../store/media.ts'

export type Holder = { sessionId: string; owner: string }
export type Stored = { sha256: string; size: number }
export type PutOptions = {
  /** Hex SHA-256 the content must have (WhatsApp's fileSha256); a mismatch stores nothing. */
  expectedSha256?: string | null
  /** Larger content is refused (`too_large`) as soon as it passes the cap. */
  maxBytes?: number
  /**
   * Recorded with the file in one transaction, so a sweep can never take a file between put and ref. Without one
   * the file is staged: kept unreferenced for an hour, time for the send that put it to reference it.
   */
  holder?: Holder | null
}

/** How long a file put without a holder survives sweeps unreferenced. */
export const STAGED_MS = 3_600_000
/**
 * A temp file untouched this long is a crashed put's leftover (a live put writes as bytes arrive, and keeps or
 * discards within moments of the last): removed at open and by retention, on any node sharing the directory.
 */
export const STALE_TEMP_MS = 3_600_000
export type Source = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Uint8Array

/**
 * Content streamed to a temp file of the store, hashed and size-checked, not yet stored: `keep` moves it into place
 * (with a holder, or staged), `discard` deletes it. Exactly one of them, once; `discard` after `keep` does nothing.
 */
export type Received = Stored & { keep(holder?: Holder | null): Promise<Stored>; discard(): void }

/** Why a put stored nothing. */
export class MediaStoreError extends Error {
  constructor(
    readonly reason: 'too_large' | 'hash_mismatch',
    message: string,
  ) {
    super(message)
    this.name = 'MediaStoreError'
  }
}

/**
 * The chunks of a source. A web stream is read through its reader: Bun's async iteration of a request body keeps
 * about twice as much memory in flight (a 200 MB raw upload: +45 MB RSS against +18 to +24 MB).
 */
async function* chunksOf(source: Source): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) return yield source
  if (!(source instanceof ReadableStream)) return yield* source
  const reader = source.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/**
 * Bytes streamed into temp files since a collection was last asked for, over all receives. A source hands over a
 * fresh buffer per chunk (Bun's request body: 64 KB each), garbage once written; with the gateway's heap the engine
 * lets 20-80 MB of them pile up before it collects on its own (a 200 MB raw upload into a bare Bun.serve holding a
 * similar heap: +21 to +80 MB RSS). An asynchronous collection asked for every 8 MB bounds that (+4 to +9 MB, the
 * upload no slower). Bun.gc(false) also returns freed memory to the allocator.
 */
const COLLECT_EVERY_BYTES = 8 << 20
let uncollected = 0

export type MediaStore = ReturnType<typeof openMediaStore>

const SHA256 = /^[0-9a-f]{64}$/

export function openMediaStore(o: { dir: string; repo: Async<MediaRepo>; clock?: () => number }) {
  const { dir, repo } = o
  const clock = o.clock ?? Date.now
  const tmp = join(dir, 'tmp')
  mkdirSync(tmp, { recursive: true, mode: 0o700 })

  /** Removes temp files older than STALE_TEMP_MS: never renamed, so nothing refers to them. */
  function dropStaleTemps() {
    const before = Date.now() - STALE_TEMP_MS
    for (const name of readdirSync(tmp)) {
      const path = join(tmp, name)
      try {
        if (statSync(path).mtimeMs < before) rmSync(path, { recursive: true, force: true })
      } catch {
        // taken by another node's cleanup meanwhile
      }
    }
  }
  dropStaleTemps()

  const pathOf = (sha256: string) => {
    if (!SHA256.test(sha256)) throw new Error(`not a sha256: ${sha256}`)
    return join(dir, sha256.slice(0, 2), sha256)
  }
  const recorded = async (sha256: string) => SHA256.test(sha256) && !!(await repo.file(sha256))

  /**
   * Records a verified temp file (with its holder) and moves it into place, or drops it when the content is already
   * there. The row goes first: a sweep that took the previous row then sees this one and puts the file back.
   */
  async function commit(temp: string, stored: Stored, holder: Holder | null) {
    try {
      await repo.added(stored.sha256, stored.size, holder, clock(), clock() + STAGED_MS)
    } catch (e) {
      // The holder vanished meanwhile (its session was deleted): nothing recorded, so nothing kept.
      rmSync(temp, { force: true })
      throw e
    }
    const final = pathOf(stored.sha256)
    if (existsSync(final)) unlinkSync(temp)
    else {
      mkdirSync(join(dir, stored.sha256.slice(0, 2)), { recursive: true, mode: 0o700 })
      renameSync(temp, final)
    }
  }

  /** Streams `source` to a temp file, hashing and capping as bytes arrive; `keep` moves it into the store. */
  async function receive(source: Source, opts: Omit<PutOptions, 'holder'> = {}): Promise<Received> {
    const temp = join(tmp, `${randomUUID()}.part`)
    // Created here (exclusive, owner-only), written through Bun's file sink: node:fs/promises' write keeps about
    // twice as much memory in flight for a 200 MB body (scripts/bench/media.ts upload rows).
    await (await open(temp, 'wx', 0o600)).close()
    const sink = Bun.file(temp).writer()
    const hasher = new Bun.CryptoHasher('sha256')
    let size = 0
    let ok = false
    try {
      for await (const chunk of chunksOf(source)) {
        size += chunk.byteLength
        if (opts.maxBytes !== undefined && size > opts.maxBytes)
          throw new MediaStoreError('too_large', `content exceeds ${opts.maxBytes} bytes`)
        hasher.update(chunk)
        sink.write(chunk)
        await sink.flush()
        uncollected += chunk.byteLength
        if (uncollected >= COLLECT_EVERY_BYTES) {
          uncollected = 0
          Bun.gc(false)
        }
      }
      await sink.end()
      const fh = await open(temp, 'r+')
      try {
        await fh.datasync()
      } finally {
        await fh.close()
      }
      ok = true
    } finally {
      if (!ok) {
        await Promise.resolve(sink.end()).catch(() => {})
        rmSync(temp, { force: true })
      }
    }
    const sha256 = hasher.digest('hex')
    const expected = opts.expectedSha256?.toLowerCase()
    if (expected && expected !== sha256) {
      rmSync(temp, { force: true })
      throw new MediaStoreError('hash_mismatch', `content hash ${sha256} is not the expected ${expected}`)
    }
    let done = false
    const settle = () => {
      if (done) throw new Error('this received file was already kept or discarded')
      done = true
    }
    return {
      sha256,
      size,
      async keep(holder: Holder | null = null) {
        settle()
        await commit(temp, { sha256, size }, holder)
        return { sha256, size }
      },
      discard() {
        if (done) return
        done = true
        rmSync(temp, { force: true })
      },
    }
  }

  async function put(source: Source, opts: PutOptions = {}): Promise<Stored> {
    return (await receive(source, opts)).keep(opts.holder ?? null)
  }

  /**
   * Deletes one file whose row a sweep took. It is moved aside first, then the row looked up again: a put that
   * recorded the same content meanwhile (on any node) gets its file back.
   */
  async function drop(sha256: string) {
    const aside = join(tmp, `${randomUUID()}.gone`)
    try {
      renameSync(pathOf(sha256), aside)
    } catch {
      return // already gone
    }
    if (await repo.file(sha256)) {
      const final = pathOf(sha256)
      if (existsSync(final)) rmSync(aside, { force: true })
      else renameSync(aside, final)
    } else rmSync(aside, { force: true })
  }

  /** Deletes files nobody references (after unref, session deletion, retention). Returns how many went. */
  async function sweep(): Promise<number> {
    let n = 0
    for (;;) {
      const shas = await repo.takeOrphans(clock(), 500)
      for (const s of shas) await drop(s)
      n += shas.length
      if (shas.length < 500) return n
    }
  }

  /** The stored file, or null. Use it as a Response body; `file.slice(start, end + 1)` serves a range. */
  async function openFile(sha256: string) {
    if (!(await recorded(sha256))) return null
    const file = Bun.file(pathOf(sha256))
    return { file, size: file.size }
  }

  return {
    dir,
    put,
    receive,
    open: openFile,
    /** A stream of the stored bytes (for an upload to WhatsApp), or null. */
    stream: async (sha256: string): Promise<ReadableStream<Uint8Array> | null> =>
      (await openFile(sha256))?.file.stream() ?? null,
    /**
     * The file's path, for libraries that take one (Baileys' `{ url: path }` media source), or null. Answered from
     * the directory (content-addressed, shared by every node), so a send can ask it synchronously.
     */
    path: (sha256: string) => (SHA256.test(sha256) && existsSync(pathOf(sha256)) ? pathOf(sha256) : null),
    has: recorded,
    /** The file POST …/media registered under `mediaId` for the session, or null. */
    upload: (sessionId: string, mediaId: string) => repo.upload(sessionId, mediaId),
    ref: (sha256: string, sessionId: string, owner: string) => repo.ref(sha256, sessionId, owner, clock()),
    /** Drops one holder; the file goes when it was the last. */
    async unref(sha256: string, sessionId: string, owner: string) {
      await repo.unref(sha256, sessionId, owner)
      await sweep()
    },
    sweep,
    /** Drops references older than `days` (uploads forgotten, message media `skipped`), then sweeps. */
    async retain(days: number): Promise<number> {
      const cutoff = clock() - days * 86_400_000
      let n = 0
      for (let k = await repo.expire(cutoff, clock()); k > 0; k = await repo.expire(cutoff, clock())) n += k
      await sweep()
      dropStaleTemps()
      return n
    },
    /** Temp files currently being written (for tests and diagnostics). */
    pending: () => readdirSync(tmp).length,
  }
}
