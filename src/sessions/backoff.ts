// The reconnect policy: what a closed socket's disconnect code means for the session. Pure.
import type { SessionStatus } from '../domain/session.ts'

export type BackoffOptions = {
  /** First retry delay for ordinary failures (ms). */
  baseMs: number
  /** Upper bound on one delay (ms). */
  capMs: number
  /** Consecutive failed attempts without reaching `open` before giving up. */
  maxAttempts: number
  /** 440 (connection replaced) this many times within `conflictWindowMs` is a loop: stop. */
  conflictLimit: number
  conflictWindowMs: number
}

export const defaultBackoff: BackoffOptions = {
  baseMs: 1_000,
  capMs: 60_000,
  maxAttempts: 20,
  conflictLimit: 3,
  conflictWindowMs: 120_000,
}

/** Remembered between closes of one session; reset when a socket reaches `open`. */
export type BackoffState = { attempts: number; conflicts: number[] }
export const freshBackoff = (): BackoffState => ({ attempts: 0, conflicts: [] })
/** After `open`: attempts start over, but recent 440s are kept, since a conflict loop reconnects fine each time. */
export const opened = (s: BackoffState): BackoffState => ({ attempts: 0, conflicts: s.conflicts })

export type Closed = { code: number | undefined; message: string; linked: boolean }

export type Decision =
  | { action: 'reconnect'; delayMs: number; status: 'reconnecting' | 'starting'; reason: string }
  | { action: 'stop'; status: Extract<SessionStatus, 'logged_out' | 'failed'>; wipeCreds: boolean; reason: string }

/** Delay for the n-th retry (0-based): exponential, capped, with ±25 % jitter so sessions do not retry in step. */
export function retryDelay(n: number, o: BackoffOptions, random: () => number): number {
  const raw = Math.min(o.capMs, o.baseMs * 2 ** Math.min(n, 30))
  return Math.round(raw * (0.75 + 0.5 * random()))
}

/**
 * What a close code means, for the session's `lastError`. Never Baileys' or WhatsApp's own message text: that
 * reaches API clients and is not ours to show (the supervisor logs it).
 */
export function closeText(code: number | undefined): string {
  const known: Record<number, string> = {
    408: 'connection timed out',
    428: 'connection closed by WhatsApp',
    440: 'connection replaced',
    500: 'WhatsApp server error',
    503: 'WhatsApp unavailable',
  }
  return code === undefined ? 'connection lost (no code)' : `${known[code] ?? 'connection closed'} (${code})`
}

/**
 * Decides what follows a close that nobody asked for (an intentional `end()` is handled by the caller).
 * Codes: research/baileys.md §6.1. Returns the decision and the state to remember.
 */
export function decide(
  closed: Closed,
  state: BackoffState,
  now: number,
  o: BackoffOptions = defaultBackoff,
  random: () => number = Math.random,
): { decision: Decision; state: BackoffState } {
  const { code, message, linked } = closed
  const stop = (status: 'logged_out' | 'failed', wipeCreds: boolean, reason: string) => ({
    decision: { action: 'stop' as const, status, wipeCreds, reason },
    state,
  })
  if (code === 401) return stop('logged_out', true, 'logged out from the phone (401)')
  if (code === 403 || code === 419) return stop('failed', false, `forbidden by WhatsApp (${code})`)
  if (code === 411) return stop('failed', false, 'multi-device mismatch (411): link the device again')
  // Raised by the noise handler once signatures are checked strictly (whatsapp/process-patches.ts): not transient.
  if (/certificate/i.test(message)) {
    return stop('failed', !linked, 'server certificate not signed by the trusted WhatsApp root')
  }
  if (!linked && /QR refs attempts ended/i.test(message)) {
    return stop('failed', true, 'QR code expired without a scan; start the session again')
  }
  // 515 comes right after pairing and on server request: reconnect at once with the same creds.
  if (code === 515) {
    return {
      decision: { action: 'reconnect', delayMs: 0, status: 'starting', reason: 'restart required (515)' },
      state,
    }
  }
  if (!linked) return stop('failed', true, `pairing did not complete (${closeText(code)})`)
  const attempts = state.attempts + 1
  if (code === 440) {
    const conflicts = [...state.conflicts.filter((t) => now - t < o.conflictWindowMs), now]
    if (conflicts.length >= o.conflictLimit) {
      return {
        ...stop('failed', false, 'connection replaced repeatedly (440): another client uses this device'),
        state: { attempts, conflicts },
      }
    }
    const delayMs = retryDelay(conflicts.length, o, random)
    return {
      decision: { action: 'reconnect', delayMs, status: 'reconnecting', reason: 'connection replaced (440)' },
      state: { attempts, conflicts },
    }
  }
  if (attempts > o.maxAttempts) {
    return stop('failed', false, `gave up after ${o.maxAttempts} reconnect attempts (last: ${closeText(code)})`)
  }
  return {
    decision: {
      action: 'reconnect',
      delayMs: retryDelay(state.attempts, o, random),
      status: 'reconnecting',
      reason: closeText(code),
    },
    state: { attempts, conflicts: state.conflicts },
  }
}
