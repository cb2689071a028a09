// Baileys auth state in SQLite: creds and signal keys by (session, type, id), sealed with AES-256-GCM.
import {
  BufferJSON,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type AuthenticationState,
  type CacheStore,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SignalKeyStore,
} from '@whiskeysockets/baileys'
import type { Logger } from '../log.ts'
import type { AuthStateSql } from '../store/auth-state-sql.ts'
import type { Sealer } from '../domain/sealer.ts'

const CREDS = 'creds'

/** One session's auth state. `forSocket` gives each socket a view that stops writing once it is discarded. */
export type SessionAuth = {
  forSocket(isCurrent: () => boolean): { state: AuthenticationState; saveCreds(): void }
  /** True once a device has been linked (creds carry an account and an id). */
  isLinked(): boolean
  /** Forgets creds and keys, e.g. on 401 or a pairing that did not finish. */
  wipe(): void
  /** Releases the key cache; call when the session goes away. */
  close(): void
}

/**
 * A plain Map cache: no timers (NodeCache's interval leaks per instance, see research/baileys.md §2.3). Pre-keys are
 * not kept: a linked device uploads 812 of them and each is read at most once, by a contact's first message, then
 * deleted; cached, they were 1,600 buffers and ~300 KB of heap per session linked (scripts/bench/memory.ts).
 */
function createKeyCache(max = 5000): CacheStore {
  const m = new Map<string, unknown>()
  return {
    get: <T>(k: string) => m.get(k) as T | undefined,
    set: (k, v) => {
      if (k.startsWith('pre-key')) return
      if (m.size >= max && !m.has(k)) m.delete(m.keys().next().value as string)
      m.set(k, v)
    },
    del: (k) => m.delete(k),
    flushAll: () => m.clear(),
    close: () => m.clear(),
  }
}

export function createSessionAuth(opts: {
  sessionId: string
  sql: AuthStateSql
  sealer: Sealer
  logger: Logger
}): SessionAuth {
  const { sessionId, sql, sealer } = opts
  const aad = (type: string, id: string) => `${sessionId}/${type}/${id}`
  const load = (type: string, id: string): unknown => {
    const raw = sql.read(sessionId, type, id)
    if (!raw) return null
    return JSON.parse(sealer.open(raw, aad(type, id)).toString('utf8'), BufferJSON.reviver)
  }
  const seal = (type: string, id: string, value: unknown) =>
    sealer.seal(Buffer.from(JSON.stringify(value, BufferJSON.replacer), 'utf8'), aad(type, id))

  const store: SignalKeyStore = {
    get<T extends keyof SignalDataTypeMap>(type: T, ids: string[]) {
      const out: { [id: string]: SignalDataTypeMap[T] } = {}
      for (const id of ids) {
        let v = load(type, id)
        if (!v) continue
        // Stored as JSON; Baileys calls methods on the proto object (see baileys.md §2.2).
        if (type === 'app-state-sync-key') v = proto.Message.AppStateSyncKeyData.fromObject(v as object)
        out[id] = v as SignalDataTypeMap[T]
      }
      return out
    },
    set(data: SignalDataSet) {
      const ops: { type: string; id: string; value: Uint8Array | null }[] = []
      for (const [type, byId] of Object.entries(data)) {
        for (const [id, value] of Object.entries(byId ?? {})) {
          ops.push({ type, id, value: value ? seal(type, id, value) : null })
        }
      }
      sql.write(sessionId, ops) // one transaction; throws so Baileys retries instead of losing a ratchet step
    },
  }

  const cache = createKeyCache()
  const cached = makeCacheableSignalKeyStore(store, opts.logger, cache)
  // The cacheable store fills its cache before writing; if the write throws, forget the cache so
  // the next read comes from the database (fixed upstream only on develop, Baileys #2574).
  const keys: SignalKeyStore = {
    get: (type, ids) => cached.get(type, ids),
    async set(data) {
      try {
        await cached.set(data)
      } catch (e) {
        cache.flushAll()
        throw e
      }
    },
  }

  const readCreds = () => (load(CREDS, '') as AuthenticationCreds | null) ?? null

  return {
    forSocket(isCurrent) {
      const creds = readCreds() ?? initAuthCreds()
      const fenced: SignalKeyStore = {
        get: (type, ids) => keys.get(type, ids),
        async set(data) {
          // A socket that was replaced must not advance ratchets the new one already uses.
          if (!isCurrent()) return void opts.logger.debug('dropped key write from a discarded socket')
          await keys.set(data)
        },
      }
      return {
        state: { creds, keys: fenced },
        saveCreds() {
          if (isCurrent()) sql.write(sessionId, [{ type: CREDS, id: '', value: seal(CREDS, '', creds) }])
        },
      }
    },
    isLinked() {
      const c = readCreds()
      return !!c?.account && !!c.me?.id
    },
    wipe() {
      cache.flushAll()
      sql.wipe(sessionId)
    },
    close() {
      cache.close?.()
    },
  }
}
