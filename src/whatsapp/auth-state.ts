// Baileys auth state in SQLite: creds and signal keys by (session, type, id), sealed with AES-256-GCM.
//
// One commit per decrypted message: the key writes Baileys makes while decrypting a message (its ratchet step, a
// used pre-key, a sender key) are held per socket and committed in the receipt hook's transaction, together with
// the message. A SIGKILL therefore finds both or neither: never a ratchet step without its message (the redelivered
// message would not decrypt) nor a message without its ratchet step. Every other key write commits at once.
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
import type { AuthOp, AuthStateSql, KeyWrites } from '../store/auth-state-sql.ts'
import type { Sealer } from '../domain/sealer.ts'
import { boundChains } from './session-chains.ts'

const CREDS = 'creds'

/** What one socket sees of its session's auth state (see `forSocket`). */
export type SocketAuth = {
  state: AuthenticationState
  saveCreds(): void
  /**
   * Runs one Signal decrypt (wrapped around Baileys' signal repository): the key writes it makes are held, readable,
   * until the receipt hook commits them with the message (`messageKeys`/`settle`), instead of committing on their own.
   */
  decrypting<T>(work: () => Promise<T>): Promise<T>
  /** The held key writes, sealed, for the receipt hook's transaction; null when there are none. */
  messageKeys(): KeyWrites | null
  /**
   * After the hook: `ok` with the writes stored moves them to the cache; `ok` without (the handler had no
   * transaction to put them in) commits them now, before the receipt; not `ok` (nothing stored, the message will be
   * NACKed and decrypted again) drops them, so the next decrypt starts from the committed ratchet.
   */
  settle(keys: KeyWrites, ok: boolean): void
}

/** One session's auth state. `forSocket` gives each socket a view that stops writing once it is discarded. */
export type SessionAuth = {
  forSocket(isCurrent: () => boolean): SocketAuth
  /** True once a device has been linked (creds carry an account and an id). */
  isLinked(): boolean
  /** Forgets creds and keys, e.g. on 401 or a pairing that did not finish. */
  wipe(): void
  /** Releases the key cache; call when the session goes away. */
  close(): void
}

type Held = Map<string, { type: string; id: string; value: unknown }>
/** Which socket's decrypt is running in this async context (Baileys commits a decrypt's keys inside it). */
const decryptScope = new AsyncLocalStorage<Held>()
const keyOf = (type: string, id: string) => `${type}\u0000${id}`
const PRE_KEY = keyOf('pre-key', '')

/**
 * Decoded keys by type and id (null: known absent). A plain bounded Map: no timers (research/baileys.md §2.3).
 * Pre-keys are not kept: a linked device uploads 812 of them and each is read at most once, by a contact's first
 * message, then deleted; cached, they were 1,600 buffers and ~300 KB of heap per session linked
 * (scripts/bench/memory.ts).
 */
function createKeyCache(max = 5000) {
  const m = new Map<string, unknown>()
  return {
    has: (k: string) => m.has(k),
    get: (k: string) => m.get(k),
    set(k: string, v: unknown) {
      if (k.startsWith(PRE_KEY)) return
      if (m.size >= max && !m.has(k)) m.delete(m.keys().next().value as string)
      m.set(k, v)
    },
    clear: () => m.clear(),
  }
}

export function createSessionAuth(opts: {
  sessionId: string
  sql: AuthStateSql
  sealer: Sealer
  logger: Logger
}): SessionAuth {
  const { sessionId, sql, sealer, logger } = opts
  const aad = (type: string, id: string) => `${sessionId}/${type}/${id}`
  const load = (type: string, id: string): unknown => {
    const raw = sql.read(sessionId, type, id)
    if (!raw) return null
    const v = JSON.parse(sealer.open(raw, aad(type, id)).toString('utf8'), BufferJSON.reviver)
    // Stored as JSON; Baileys calls methods on the proto object (see baileys.md §2.2).
    return type === 'app-state-sync-key' ? proto.Message.AppStateSyncKeyData.fromObject(v as object) : v
  }
  const seal = (type: string, id: string, value: unknown) =>
    sealer.seal(Buffer.from(JSON.stringify(value, BufferJSON.replacer), 'utf8'), aad(type, id))
  const sealAll = (writes: Iterable<{ type: string; id: string; value: unknown }>): AuthOp[] =>
    Array.from(writes, (w) => ({ type: w.type, id: w.id, value: w.value ? seal(w.type, w.id, w.value) : null }))

  // Every read and write is synchronous SQLite, so the cache needs no lock: a read never interleaves a write.
  const cache = createKeyCache()
  const cached = (type: string, id: string): unknown => {
    const k = keyOf(type, id)
    if (cache.has(k)) return cache.get(k)
    const v = load(type, id)
    cache.set(k, v)
    return v
  }
  /** Commits writes in one transaction (throws so Baileys retries instead of losing a ratchet step), then caches them. */
  const commit = (writes: Held) => {
    sql.write(sessionId, sealAll(writes.values()))
    for (const [k, w] of writes) cache.set(k, w.value ?? null)
  }
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
  const readCreds = () => (load(CREDS, '') as AuthenticationCreds | null) ?? null

  return {
    forSocket(isCurrent) {
      const creds = readCreds() ?? initAuthCreds()
      // This socket's decrypt writes not committed yet, and those a running receipt hook is committing.
      const held: Held = new Map()
      let hooking: Held | null = null
      let later: ReturnType<typeof setImmediate> | null = null
      // A decrypt whose message never reaches the hook (it failed further on): commit its keys on their own, soon.
      // While a hook runs, its outcome decides; a message's decrypt and its hook are one synchronous run of
      // microtasks, so this never fires between them.
      const flushLater = () => {
        later ??= setImmediate(() => {
          later = null
          if (hooking || !held.size) return
          if (!isCurrent()) return void held.clear()
          logger.debug({ keys: held.size }, 'committed decrypt key writes without a message')
          commit(held)
          held.clear()
        })
      }
      const keys: SignalKeyStore = {
        get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
          const out: { [id: string]: SignalDataTypeMap[T] } = {}
          for (const id of ids) {
            // Read your writes: held ones first (a held null is a delete).
            const w = held.get(keyOf(type, id))
            const v = w ? w.value : cached(type, id)
            if (v) out[id] = v as SignalDataTypeMap[T]
          }
          return out
        },
        async set(data: SignalDataSet) {
          // A socket that was replaced must not advance ratchets the new one already uses.
          if (!isCurrent()) return void logger.debug('dropped key write from a discarded socket')
          if (decryptScope.getStore() === held) {
            writesOf(data, held)
            return flushLater()
          }
          // Any other write (pre-keys, app state, a send's ratchet) commits now, with whatever is held, in order.
          const writes = held.size ? writesOf(data, new Map(held)) : writesOf(data)
          commit(writes)
          for (const [k, w] of writes) if (held.get(k) === w) held.delete(k)
        },
      }
      return {
        state: { creds, keys },
        saveCreds() {
          if (isCurrent()) sql.write(sessionId, [{ type: CREDS, id: '', value: seal(CREDS, '', creds) }])
        },
        decrypting: (work) => decryptScope.run(held, work),
        messageKeys() {
          if (!held.size) return null
          hooking = new Map(held)
          return { ops: sealAll(hooking.values()), stored: false }
        },
        settle(w, ok) {
          const writes = hooking
          hooking = null
          if (!writes) return
          if (ok && !w.stored) commit(writes)
          else if (ok) for (const [k, x] of writes) cache.set(k, x.value ?? null)
          // Dropped or committed: either way no longer held (unless written again meanwhile).
          for (const [k, x] of writes) if (held.get(k) === x) held.delete(k)
          if (held.size) flushLater()
        },
      }
    },
    isLinked() {
      const c = readCreds()
      return !!c?.account && !!c.me?.id
    },
    wipe() {
      cache.clear()
      sql.wipe(sessionId)
    },
    close() {
      cache.clear()
    },
  }
}
