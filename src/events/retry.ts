// When to try a failed delivery again: a schedule of delays with jitter, and the receiver's Retry-After.

/** `"5,30,120"` (seconds, fractions allowed) → delays in ms. */
export function parseSchedule(value: string): number[] {
  const delays = value.split(',').map((s) => Math.round(Number(s.trim()) * 1000))
  if (!delays.length || delays.some((d) => !Number.isFinite(d) || d < 0))
    throw new Error(`bad retry schedule: ${value}`)
  return delays
}

export const defaultSchedule = '5,30,120,600,1800,3600,10800,21600,43200'

/**
 * The delay before attempt `attemptCount + 1`, or null when the schedule is exhausted (the delivery
 * fails). Jitter spreads the delay over ±20% so a recovering endpoint is not hit by a thundering herd.
 */
export function nextDelay(schedule: readonly number[], attemptCount: number, random = Math.random): number | null {
  const base = schedule[attemptCount - 1]
  if (base === undefined) return null
  return Math.round(base * (0.8 + 0.4 * random()))
}

const MAX_RETRY_AFTER = 24 * 3600 * 1000

/** `Retry-After` as delta seconds or an HTTP date → ms from now (capped at a day); null when absent or invalid. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null
  const v = header.trim()
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_RETRY_AFTER) : null
}
