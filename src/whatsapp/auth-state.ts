// Baileys auth state in the database: creds and signal keys by (session, type, id), sealed with AES-256-GCM.
// SQLite answers at once, PostgreSQL with promises (`AuthSql`): the same code runs on both, synchronous where the
// store is.
//
// One commit per decrypted message: the key writes Baileys makes while decrypting a message (its ratchet step, a
// used pre-key, a sender key) are held per socket and committed in the receipt hook's transaction, together with
// the message. A SIGKILL therefore finds both or neither: never a ratchet step without its message (the redelivered
// message would not decrypt) nor a message without its ratchet step. Every other key write commits at once.
//
// The next message of a socket may decrypt while this one's commit is pending (message-turns.ts), reading the held
// writes. If a message's writes then fail to commit, everything decrypted after it read a ratchet step that is not
// stored: those writes are refused (`KeyWrites.valid`), the held ones dropped, and those messages NACKed too, so
// each is decrypted again from the committed ratchet when WhatsApp sends it again.
import {
  BufferJSON,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys'
import { AsyncLocalStorage } from 'node:async_hooks'
import type { Logger } from '../log.ts'
import type { AuthOp, KeyWrites } from '../store/auth-state-sql.ts'
import type { Sealer } from '../domain/sealer.ts'
import { boundChains } from './session-chains.ts'
import { createKeyCache, createLane, keyOf, type Maybe } from './auth-cache.ts'

const CREDS = 'creds'

/**
 * The auth-state rows of one store (store/auth-state-sql.ts on SQLite, store/pg/auth-state.ts on PostgreSQL). A
 * write applies all its ops atomically and throws (or rejects) on failure: Baileys retries a failed key commit.
 */
export type AuthSql = {
  read(sessionId: string, type: string, id: string): Maybe<Uint8Array | null>
  write(sessionId: string, ops: AuthOp[]): Maybe<void>
  wipe(sessionId: string): Maybe<void>
}

/** What one socket sees of its session's auth state (see `forSocket`). */
export type SocketAuth = {
  state: AuthenticationState
  /** Stores the creds (a failure is logged: Baileys emits them again on the next change). */
  saveCreds(): void
  /**
   * Runs one Signal decrypt (wrapped around Baileys' signal repository): the key writes it makes are held, readable,
   * until the receipt hook commits them with the message (`messageKeys`/`settle`), instead of committing on their own.
   */
  decrypting<T>(work: () => Promise<T>): Promise<T>
  /**
   * The held key writes, sealed, for the receipt hook's transaction; null when there are none. Until `settle`, no
   * other auth write of the session starts (on PostgreSQL this waits for the writes already under way); the hooks
   * of messages that commit in order share that hold. Throws when an earlier message's writes failed after this
   * decrypt began (it read a ratchet step that is not stored): the message must be NACKed.
   */
  messageKeys(): Maybe<KeyWrites | null>
  /**
   * After the hook: `ok` with the writes stored moves them to the cache (and those of earlier hooks not settled
   * yet: they committed before these); `ok` without (the handler had no transaction to put them in) commits them
   * now, before the receipt; not `ok` (nothing stored, the message will be NACKed and decrypted again) drops them,
   * so the next decrypt starts from the committed ratchet.
   */
  settle(keys: KeyWrites, ok: boolean): Maybe<void>
}

/** One session's auth state. `forSocket` gives each socket a view that stops writing once it is discarded. */
export type SessionAuth = {
  /** Reads the creds (a fresh account when there are none) and gives the socket its view. */
  forSocket(isCurrent: () => boolean): Promise<SocketAuth>
  /** True once a device has been linked (creds carry an account and an id). */
  isLinked(): Promise<boolean>
  /** Forgets creds and keys, e.g. on 401 or a pairing that did not finish. */
  wipe(): Promise<void>
  /** Releases the key cache; call when the session goes away. */
  close(): void
}

type Write = { type: string; id: string; value: unknown }
type Held = Map<string, Write>
/** Which socket's decrypt is running in this async context (Baileys commits a decrypt's keys inside it). */
const decryptScope = new AsyncLocalStorage<Held>()
export function createSessionAuth(opts: {
  sessionId: string
  sql: AuthSql
  sealer: Sealer
  logger: Logger
}): SessionAuth {
  const { sessionId, sql, sealer, logger } = opts
  const aad = (type: string, id: string) => `${sessionId}/${type}/${id}`
  const decode = (type: string, id: string, raw: Uint8Array | null): unknown => {
    if (!raw) return null
    const v = JSON.parse(sealer.open(raw, aad(type, id)).toString('utf8'), BufferJSON.reviver)
    // Stored as JSON; Baileys calls methods on the proto object (see baileys.md §2.2).
    return type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(v as object) : v
  }
  const seal = (type: string, id: string, value: unknown) =>
    sealer.seal(Buffer.from(JSON.stringify(value, BufferJSON.replacer), 'utf8'), aad(type, id))
  const sealAll = (writes: Iterable<Write>): AuthOp[] =>
    Array.from(writes, (w) => ({ type: w.type, id: w.id, value: w.value ? seal(w.type, w.id, w.value) : null }))

  const cache = createKeyCache()
  const lane = createLane()
  /** Writes under way (PostgreSQL): read before the cache, so a read sees a write that has not committed yet. */
  const writing: Held = new Map()
  /**
   * Cache fills under way (PostgreSQL). A write of the key, or a wipe, marks its fill stale: the value it read may
   * predate the write, so it is not cached and the read answers the current value instead.
   */
  const fills = new Map<string, { stale: boolean; value: Promise<unknown> }>()
  const invalidate = (k: string) => {
    const f = fills.get(k)
    if (f) ((f.stale = true), fills.delete(k))
  }
  /** The committed value of a key: the cache, or the database (filling the cache). */
  const committed = (type: string, id: string): unknown => {
    const k = keyOf(type, id)
    const w = writing.get(k)
    if (w) return w.value
    if (cache.has(k)) return cache.get(k)
    const filling = fills.get(k)
    if (filling) return filling.value
    const raw = sql.read(sessionId, type, id)
    if (!(raw instanceof Promise)) {
      const v = decode(type, id, raw)
      cache.set(k, v)
      return v
    }
    const fill = { stale: false, value: null as unknown as Promise<unknown> }
    fill.value = raw.then(
      (r) => {
        if (fills.get(k) === fill) fills.delete(k)
        if (fill.stale) return committed(type, id)
        const v = decode(type, id, r)
        cache.set(k, v)
        return v
      },
      (e: unknown) => {
        if (fills.get(k) === fill) fills.delete(k)
        throw e
      },
    )
    fills.set(k, fill)
    return fill.value
  }
  /**
   * Commits writes in one transaction (throws so Baileys retries instead of losing a ratchet step), then caches
   * them. Runs in the lane: after every earlier write of the session.
   */
  const commit = (writes: Held): Maybe<void> =>
    lane.run(() => {
      const ops = sealAll(writes.values())
      for (const [k, w] of writes) (writing.set(k, w), invalidate(k))
      const done = (ok: boolean) => {
        for (const [k, w] of writes) {
          if (writing.get(k) !== w) continue
          writing.delete(k)
          if (ok) cache.set(k, w.value ?? null)
        }
      }
      let r: Maybe<void>
      try {
        r = sql.write(sessionId, ops)
      } catch (e) {
        done(false)
        throw e
      }
      if (!(r instanceof Promise)) return done(true)
      return r.then(
        () => done(true),
        (e: unknown) => {
          done(false)
          throw e
        },
      )
    })
  const writesOf = (data: SignalDataSet, into: Held = new Map()): Held => {
    for (const [type, byId] of Object.entries(data)) {
      for (const [id, value] of Object.entries(byId ?? {}))
        into.set(keyOf(type, id), {
          type,
          id,
          value: type === 'session' && value ? boundChains(value) : (value ?? null),
        })
    }
    return into
  }
  // In the lane: after the creds writes under way (a read must see them).
  const readCreds = async () =>
    (decode(CREDS, '', await lane.run(() => sql.read(sessionId, CREDS, ''))) as AuthenticationCreds | null) ?? null

  return {
    async forSocket(isCurrent) {
      const creds = (await readCreds()) ?? initAuthCreds()
      // This socket's decrypt writes not committed yet; those running receipt hooks are committing (by hook).
      const held: Held = new Map()
      const hooks = new Map<KeyWrites, { writes: Held; release: () => void }>()
      let decrypts = 0
      // Failures of a hook's writes so far, and how many there were when the decrypts of the coming hook began: a
      // hook whose decrypt began before a failure may have read the failed ratchet step.
      let failures = 0
      let phase: number | null = null
      let later: ReturnType<typeof setImmediate> | null = null
      // A decrypt whose message never reaches the hook (it failed further on): commit its keys on their own, soon —
      // but never while a decrypt is running or a hook is committing: the held writes may be that message's, which
      // must commit with it (on SQLite a decrypt and its hook are one synchronous run of microtasks anyway).
      const flushLater = () => {
        later ??= setImmediate(() => {
          later = null
          if (hooks.size || decrypts || !held.size) return
          // Read from a ratchet step that failed to commit since: dropped (the message is NACKed), never committed.
          if (!isCurrent() || (phase !== null && phase !== failures)) return void held.clear()
          logger.debug({ keys: held.size }, 'committed decrypt key writes without a message')
          const writes = new Map(held)
          const drop = () => {
            for (const [k, w] of writes) if (held.get(k) === w) held.delete(k)
          }
          try {
            const r = commit(writes)
            if (r instanceof Promise)
              void r.then(drop, (e: unknown) => logger.warn({ err: String(e) }, 'key commit failed'))
            else drop()
          } catch (e) {
            logger.warn({ err: String(e) }, 'key commit failed')
          }
        })
      }
      const current = (type: string, id: string): unknown => {
        // Read your writes: held ones first (a held null is a delete).
        const w = held.get(keyOf(type, id))
        return w ? w.value : committed(type, id)
      }
      const keys: SignalKeyStore = {
        get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
          const out: { [id: string]: SignalDataTypeMap[T] } = {}
          let waits: Promise<void>[] | null = null
          for (const id of ids) {
            const v = current(type, id)
            if (v instanceof Promise)
              (waits ??= []).push(v.then((x) => void (x && (out[id] = x as SignalDataTypeMap[T]))))
            else if (v) out[id] = v as SignalDataTypeMap[T]
          }
          return waits ? Promise.all(waits).then(() => out) : out
        },
        async set(data: SignalDataSet) {
          // A socket that was replaced must not advance ratchets the new one already uses.
          if (!isCurrent()) return void logger.debug('dropped key write from a discarded socket')
          if (decryptScope.getStore() === held) {
            writesOf(data, held)
            return flushLater()
          }
          // Any other write (pre-keys, app state, a send's ratchet) commits now, in order. What is held goes with
          // it unless a decrypt or a hook is under way (those writes are a message's, committed with it).
          const merge = held.size && !decrypts && !hooks.size
          const writes = merge ? writesOf(data, new Map(held)) : writesOf(data)
          // A key also held (a pending message's) has a newer value now: reads see it, and the hook that commits
          // the older one first leaves it held until this commit is done.
          if (!merge) for (const [k, w] of writes) if (held.has(k)) held.set(k, w)
          await commit(writes)
          for (const [k, w] of writes) if (held.get(k) === w) held.delete(k)
        },
      }
      const hookKeys = (release: () => void, seen: number): KeyWrites | null => {
        if (!held.size) return (release(), null)
        const writes = new Map(held)
        const w: KeyWrites = {
          ops: sealAll(writes.values()),
          stored: false,
          valid: () => seen === failures,
          failed() {
            // Called by the store, at once, when these writes could not be committed: whatever was decrypted since
            // read them. Held writes go, so the next decrypt reads the committed ratchet.
            if (seen !== failures) return
            failures++
            held.clear()
          },
        }
        hooks.set(w, { writes, release })
        return w
      }
      const settleOne = (w: KeyWrites, hook: { writes: Held; release: () => void }, ok: boolean): Maybe<void> => {
        hooks.delete(w)
        const { writes, release } = hook
        const after = () => {
          // Dropped or committed: either way no longer held (unless written again meanwhile).
          for (const [k, x] of writes) if (held.get(k) === x) held.delete(k)
          if (held.size) flushLater()
        }
        if (ok && !w.stored) {
          // Committed in the lane the hook holds: release it afterwards.
          let r: Maybe<void>
          try {
            r = sql.write(sessionId, w.ops)
          } catch (e) {
            release()
            throw e
          }
          const cacheAll = () => {
            for (const [k, x] of writes) (invalidate(k), cache.set(k, x.value ?? null))
            after()
            release()
          }
          if (!(r instanceof Promise)) return cacheAll()
          return r.then(cacheAll, (e: unknown) => {
            release()
            throw e
          })
        }
        if (ok) for (const [k, x] of writes) (invalidate(k), cache.set(k, x.value ?? null))
        after()
        release()
      }
      return {
        state: { creds, keys },
        saveCreds() {
          if (!isCurrent()) return
          const op = [{ type: CREDS, id: '', value: seal(CREDS, '', creds) }]
          const failed = (e: unknown) => logger.warn({ err: String(e) }, 'could not store creds')
          try {
            const r = lane.run(() => sql.write(sessionId, op))
            if (r instanceof Promise) r.catch(failed)
          } catch (e) {
            failed(e)
          }
        },
        async decrypting(work) {
          phase ??= failures
          decrypts++
          try {
            return await decryptScope.run(held, work)
          } finally {
            decrypts--
            if (held.size) flushLater()
          }
        },
        // After the writes under way: the hook's transaction must not commit a key before an earlier write of it.
        messageKeys() {
          const seen = phase ?? failures
          phase = null
          if (seen !== failures) {
            held.clear()
            throw new Error('an earlier message of this socket was not stored after this one began decrypting')
          }
          if (!held.size) return null
          const got = lane.share()
          return got instanceof Promise ? got.then((r) => hookKeys(r, seen)) : hookKeys(got, seen)
        },
        settle(w, ok) {
          const hook = hooks.get(w)
          if (!hook) return
          // Hooks settle in the order their writes committed; should a later one come first, the earlier ones it
          // committed after are done as well, so the cache never goes back to an older value.
          if (ok)
            for (const [earlier, h] of hooks) {
              if (earlier === w || !earlier.stored) break
              settleOne(earlier, h, true)
            }
          return settleOne(w, hook, ok)
        },
      }
    },
    async isLinked() {
      const c = await readCreds()
      return !!c?.account && !!c.me?.id
    },
    async wipe() {
      await lane.run(() => {
        cache.clear()
        for (const k of [...fills.keys()]) invalidate(k)
        return sql.wipe(sessionId)
      })
      cache.clear()
    },
    close() {
      cache.clear()
    },
  }
}
