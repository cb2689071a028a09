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
  }
}

/** Runs `fn` after every earlier lifecycle change of the same session has finished. */
export function locked<T>(live: Live, fn: () => Promise<T>): Promise<T> {
  const run = live.tail.then(fn, fn)
  live.tail = run.catch(() => {})
  return run
}
