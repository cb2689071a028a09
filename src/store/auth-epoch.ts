// The auth epoch (migration 0006): a counter the database bumps, by trigger, on every change that can take access
// away — an API key revoked, re-scoped, moved or deleted, an organisation or a session deleted — whichever process
// makes it. Caches of what authentication and ownership checks read hold only while the counter stands still.
import type { Db } from './db.ts'

/** Past this many entries a cache starts over (a bound on memory, not a policy: a miss only costs one lookup). */
const MAX_ENTRIES = 10_000

export type AuthEpoch = ReturnType<typeof createAuthEpoch>

/**
 * The caches that hold while the epoch stands still, whichever database the counter is read from: `observe(n)`
 * with the counter just read empties them all when it moved.
 */
export function createEpochCaches() {
  let seen: number | null = null
  // Moves each time the caches are emptied for a new epoch: a value read before it moved may predate the change
  // that moved it, so it must not be cached after (see `mark`).
  let generation = 0
  const caches: Map<unknown, unknown>[] = []
  return {
    observe(n: number): void {
      if (n === seen) return
      seen = n
      generation++
      for (const c of caches) c.clear()
    },
    /** A map emptied whenever the epoch moves (and when it outgrows its bound). */
    cache<K, V>() {
      const map = new Map<K, V>()
      caches.push(map)
      return {
        get: (k: K) => map.get(k),
        /**
         * Taken before a read that answers asynchronously (PostgreSQL), and given to `set` with its answer: if
         * another request observed a new epoch while the read was out, the answer may be from before the change
         * that moved it (a key just revoked), so it is not cached.
         */
        mark: (): number => generation,
        set(k: K, v: V, since: number = generation) {
          if (since !== generation) return
          if (map.size >= MAX_ENTRIES) map.clear()
          map.set(k, v)
        },
      }
    },
  }
}

/**
 * Tells whether any connection, in this process or another, has committed to the database file since `mark()`,
 * without a statement: from the WAL-index header in the file's `-shm` shared memory
 * (https://www.sqlite.org/walformat.html). Every SQLite version sharing a database reads and writes that header the
 * same way: two copies of 48 bytes, rewritten by every commit (and by a WAL reset or recovery), copy 2 first. When the
 * header cannot be read (no `-shm`, an in-memory database) there is no watch, and every check reads the database.
 * The mapping stays valid while the database is open here: SQLite truncates a `-shm` file only when a connection
 * opens it with no other connection holding it (its exclusive DMS lock), and this process holds one for the `Db`'s
 * lifetime; the watch is used only by requests served from that `Db`.
 */
export function walCommitWatch(file: string) {
  if (!file || file === ':memory:') return null
  let bytes: Uint8Array
  try {
    bytes = Bun.mmap(`${file}-shm`, { shared: true })
  } catch {
    return null
  }
  if (bytes.byteLength < 96) return null
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, 24)
  const seen = new Uint32Array(12)
  let marked = false
  return {
    /** Remembers the header as it is now; call it before reading what the answer of `unchanged` will stand for. */
    mark(): void {
      // Byte 12 is isInit: a header SQLite has not written yet stands for nothing.
      marked = bytes[12] === 1
      for (let i = 0; i < 12 && marked; i++) marked = words[i] === words[i + 12]
      if (marked) seen.set(words.subarray(0, 12))
    },
    /**
     * True only when both copies still equal the marked header: no commit since. Copy 1 is read before copy 2,
     * the reverse of the writer's order, so a header being rewritten meanwhile never reads as unchanged.
     */
    unchanged(): boolean {
      if (!marked) return false
      for (let i = 0; i < 12; i++) if (words[i] !== seen[i]) return false
      for (let i = 0; i < 12; i++) if (words[i + 12] !== seen[i]) return false
      return true
    },
  }
}

export function createAuthEpoch(db: Db) {
  const read = db.sqlite.query<{ n: number }, []>('SELECT n FROM auth_epoch WHERE id = 1')
  const { observe, cache } = createEpochCaches()
  // A read listing's page costs one statement more than the raw query for this check alone (scripts/bench/read.ts);
  // between commits the counter cannot have moved, so it is read again only after one.
  const commits = walCommitWatch(db.sqlite.filename)

  return {
    /**
     * Reads the counter (one primary-key read) unless nothing was committed since the last read, and, when it moved,
     * empties every cache made by `cache()`. Called once at the start of every authenticated request, before any
     * cache is consulted.
     */
    refresh(): void {
      if (commits?.unchanged()) return
      commits?.mark()
      observe(read.get()?.n ?? 0)
    },
    /** A map emptied whenever the epoch moves (and when it outgrows its bound). */
    cache,
  }
}
