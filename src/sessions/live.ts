// Per-session live state held by the supervisor, and the tiny mutex that serialises its lifecycle changes.
import type { SessionAuth } from '../whatsapp/auth-state.ts'
import { createRetryCache, type RetryCache, type WaSocket } from '../whatsapp/socket.ts'
import { freshBackoff, type BackoffState } from './backoff.ts'
import type { Watchdog } from './watchdog.ts'

export type Live = {
  /** Bumped whenever a socket is replaced or ended; a socket is current only while its generation matches. */
  generation: number
  sock: WaSocket | null
  connected: boolean
  auth: SessionAuth
  backoff: BackoffState
  timer: ReturnType<typeof setTimeout> | null
  qr: { qr: string; expiresAt: number } | null
  qrCount: number
  pairing: boolean
  retryCache: RetryCache
  /** Epoch ms of the last frame from WhatsApp, for the watchdog. */
  lastFrameAt: number
  watchdog: Watchdog | null
  tail: Promise<unknown>
  /** Resolved (and emptied) when the current socket opens, asks for a QR or closes: see `settled`. */
  settling: Array<() => void>
}

export function newLive(auth: SessionAuth): Live {
  return {
    generation: 0,
    sock: null,
    connected: false,
    auth,
    backoff: freshBackoff(),
    timer: null,
    qr: null,
    qrCount: 0,
    pairing: false,
    retryCache: createRetryCache(),
    lastFrameAt: 0,
    watchdog: null,
    tail: Promise.resolve(),
    settling: [],
  }
}

/** Resolves once the session's socket has settled (connected, waiting for a QR, or closed), or after `timeoutMs`. */
export function settled(live: Live, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    live.settling.push(() => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Wakes whoever waits in `settled`. */
export function settle(live: Live): void {
  for (const wake of live.settling.splice(0)) wake()
}

/** Runs `fn` after every earlier lifecycle change of the same session has finished. */
export function locked<T>(live: Live, fn: () => Promise<T>): Promise<T> {
  const run = live.tail.then(fn, fn)
  live.tail = run.catch(() => {})
  return run
}
