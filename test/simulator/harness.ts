// Test harness: the real Baileys makeWASocket against startSimulator(), in-memory auth, event recorders that can be
// awaited, and a control-API client. Nothing in Baileys is mocked.
import makeWASocket, {
  initAuthCreds,
  type AuthenticationState,
  type BaileysEventMap,
  type SignalDataSet,
  type SignalDataTypeMap,
  type UserFacingSocketConfig,
  type WASocket,
} from '@whiskeysockets/baileys'
import type { Boom } from '@hapi/boom'
import pino from 'pino'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/index.ts'
import { trustRoot } from '../../src/whatsapp/process-patches.ts'

export const silent = pino({ level: process.env.WAGATE_TEST_LOG ?? 'silent' })

/** creds + a Map-backed key store (`store` is exposed so a test can damage it on purpose). */
export function memoryAuth(): AuthenticationState & { store: Map<string, unknown> } {
  const store = new Map<string, unknown>()
  return {
    store,
    creds: initAuthCreds(),
    keys: {
      get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {}
        for (const id of ids) {
          const v = store.get(`${type}:${id}`)
          if (v !== undefined) out[id] = v as SignalDataTypeMap[T]
        }
        return out
      },
      set: async (data: SignalDataSet) => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, v] of Object.entries(entries ?? {})) {
            if (v === null || v === undefined) store.delete(`${type}:${id}`)
            else store.set(`${type}:${id}`, v)
          }
        }
      },
    },
  }
}

type EventName = keyof BaileysEventMap

/** Records the events of one socket; `waitFor` looks at past events first, then waits. */
export class Recorder {
  readonly log: Array<{ event: EventName; data: unknown }> = []
  private waiters: Array<() => void> = []

  constructor(readonly sock: WASocket) {
    const events: EventName[] = [
      'connection.update',
      'creds.update',
      'messages.upsert',
      'messages.update',
      'messages.reaction',
      'messaging-history.set',
      'message-receipt.update',
      'groups.upsert',
      'groups.update',
      'group-participants.update',
      'chats.update',
      'chats.delete',
      'presence.update',
      'blocklist.update',
      'contacts.update',
    ]
    for (const event of events) {
      sock.ev.on(event, (data: unknown) => {
        this.log.push({ event, data })
        for (const w of this.waiters) w()
      })
    }
  }

  all<E extends EventName>(event: E): BaileysEventMap[E][] {
    return this.log.filter((e) => e.event === event).map((e) => e.data as BaileysEventMap[E])
  }

  waitFor<E extends EventName, T>(
    event: E,
    pick: (data: BaileysEventMap[E]) => T | undefined | false | null,
    timeoutMs = 15_000,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let seen = 0
      const check = () => {
        for (; seen < this.log.length; seen++) {
          const e = this.log[seen]!
          if (e.event !== event) continue
          const r = pick(e.data as BaileysEventMap[E])
          if (r !== undefined && r !== false && r !== null) {
            done()
            resolve(r)
            return
          }
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for ${event}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters = this.waiters.filter((w) => w !== check)
      }
      this.waiters.push(check)
      check()
    })
  }

  /** Resolves with the status code of the next close. */
  closed(timeoutMs = 15_000): Promise<number | undefined> {
    return this.waitFor(
      'connection.update',
      (u) => u.connection === 'close' && { code: (u.lastDisconnect?.error as Boom | undefined)?.output?.statusCode },
      timeoutMs,
    ).then((r) => r.code)
  }

  opened(timeoutMs = 15_000): Promise<true> {
    return this.waitFor('connection.update', (u) => u.connection === 'open', timeoutMs)
  }

  qr(timeoutMs = 15_000): Promise<string> {
    return this.waitFor('connection.update', (u) => u.qr, timeoutMs)
  }
}

export interface Client {
  sock: WASocket
  rec: Recorder
  auth: AuthenticationState
}

export function connect(
  sim: Simulator,
  auth: AuthenticationState,
  extra: Partial<UserFacingSocketConfig> = {},
): Client {
  const sock = makeWASocket({
    auth,
    waWebSocketUrl: sim.wsUrl,
    logger: silent,
    markOnlineOnConnect: false,
    ...extra,
  })
  return { sock, rec: new Recorder(sock), auth }
}

/** Calls the control API; returns status and parsed body. */
export async function api<T = Record<string, unknown>>(
  sim: Simulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(sim.controlUrl + path, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as T }
}

/** Pairs a fresh client with `phone` by QR and returns it logged in (connection open). */
export async function pairByQr(
  sim: Simulator,
  phone: string,
  extra: Partial<UserFacingSocketConfig> = {},
): Promise<Client> {
  const auth = memoryAuth()
  const first = connect(sim, auth, extra)
  const qr = await first.rec.qr()
  const closing = first.rec.closed()
  const scan = await api(sim, 'POST', `/accounts/${phone}:scan`, { qr })
  if (scan.status !== 200) throw new Error(`scan failed: ${JSON.stringify(scan.body)}`)
  const code = await closing
  if (code !== 515) throw new Error(`expected 515 after pairing, got ${code}`)
  const second = connect(sim, auth, extra)
  await second.rec.opened()
  // The history sync and offline backlog come before <ib><offline>; wait for them so tests start from quiet.
  await second.rec.waitFor('connection.update', (u) => u.receivedPendingNotifications === true)
  return second
}

export async function end(c: Client | undefined): Promise<void> {
  if (!c) return
  try {
    c.sock.end(undefined)
  } catch {
    // Already closed.
  }
}

/**
 * libsignal logs session changes with console.info/warn ("Closing session: SessionEntry…"); both the client and
 * the simulated phones run it in the test process. Returns a restore function.
 */
export function quietLibsignal(): () => void {
  const orig = { info: console.info, warn: console.warn, error: console.error, log: console.log }
  const noisy = /session|SessionEntry|Session error|decrypt message with any known session|pubkey of length/i
  const wrap =
    (fn: (...a: unknown[]) => void) =>
    (...args: unknown[]) => {
      if (typeof args[0] === 'string' && noisy.test(args[0])) return
      fn(...args)
    }
  console.info = wrap(orig.info)
  console.warn = wrap(orig.warn)
  console.error = wrap(orig.error)
  return () => Object.assign(console, orig)
}

export interface World {
  sim: Simulator
  untrust: () => void
}

/** Worlds opened and not yet closed, for test/simulator/lifecycle.ts. */
export const openWorlds = new Set<World>()

export async function world(opts: Pick<SimulatorOptions, 'keepMessages'> = {}): Promise<World> {
  const sim = await startSimulator({ port: 0, controlPort: 0, logger: silent, ...opts })
  const untrust = trustRoot(Buffer.from(sim.rootPublicKey, 'base64'))
  const w = { sim, untrust }
  openWorlds.add(w)
  return w
}

export async function account(sim: Simulator, phone: string, extra: Record<string, unknown> = {}) {
  const r = await api<{ phone: string; jid: string; lid: string; name: string }>(sim, 'POST', '/accounts', {
    phone,
    ...extra,
  })
  if (r.status !== 201) throw new Error(`account create failed: ${JSON.stringify(r.body)}`)
  return r.body
}
