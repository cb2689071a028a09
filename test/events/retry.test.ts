// The retry schedule, Retry-After parsing and event type patterns.
import { expect, it } from 'bun:test'
import { isPattern, matcher } from '../../src/events/patterns.ts'
import { defaultSchedule, nextDelay, parseSchedule, retryAfterMs } from '../../src/events/retry.ts'

it('spans about a day with the default schedule, in ten attempts', () => {
  const s = parseSchedule(defaultSchedule)
  expect(s).toHaveLength(9)
  const total = s.reduce((a, b) => a + b, 0) / 3600_000
  expect(total).toBeGreaterThan(20)
  expect(total).toBeLessThan(26)
})

it('jitters each delay within ±20%', () => {
  const s = parseSchedule('10')
  expect(nextDelay(s, 1, () => 0)).toBe(8000)
  expect(nextDelay(s, 1, () => 1)).toBe(12000)
})

it('gives up after the last delay of the schedule', () => {
  expect(nextDelay(parseSchedule('1,2'), 3)).toBeNull()
})

it('accepts fractional seconds, for fast test schedules', () => {
  expect(parseSchedule('0.05,0.1')).toEqual([50, 100])
})

it('reads Retry-After as seconds or as an HTTP date, capped at a day', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  expect(retryAfterMs('7', now)).toBe(7000)
  expect(retryAfterMs('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
  expect(retryAfterMs('999999', now)).toBe(86_400_000)
  expect(retryAfterMs('soon', now)).toBeNull()
  expect(retryAfterMs(null, now)).toBeNull()
})

it('matches exact types, prefix patterns and *, never internal webhook.* types', () => {
  const m = matcher(['message.*', 'session.status'])
  expect(['message.received', 'message.status', 'session.status'].every(m)).toBe(true)
  expect(['session.qr', 'chat.updated', 'messages.x'].some(m)).toBe(false)
  expect(matcher(['*'])('channel.post')).toBe(true)
  expect(matcher(['*'])('webhook.test')).toBe(false)
})

it('validates patterns', () => {
  expect(['*', 'message.*', 'message.received', 'channel.post'].every(isPattern)).toBe(true)
  expect(['', 'message.**', '*.received', 'Message', 'message.'].some(isPattern)).toBe(false)
})
