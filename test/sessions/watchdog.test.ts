// The deaf-connection watchdog, driven by the clock it accepts: time moves only when the test moves it, and
// each check it makes is observed (it reads the clock once per check), so nothing is proved by sleeping.
import { expect, it } from 'bun:test'
import { startWatchdog } from '../../src/sessions/watchdog.ts'
import { waitFor } from '../helpers/wait.ts'

/** A clock the test sets, counting how often the watchdog looked at it. */
function testClock(start = 1_000_000) {
  const c = { now: start, reads: 0, read: () => (c.reads++, c.now) }
  return c
}

/** Waits until the watchdog has made `n` more checks than it had when called. */
const checks = async (c: { reads: number }, n: number) => {
  const target = c.reads + n
  await waitFor(`${n} watchdog checks`, () => c.reads >= target, 5000, 5)
}

it('stays quiet while frames keep arriving within the threshold', async () => {
  const clock = testClock()
  const fired: number[] = []
  const last = clock.now
  const w = startWatchdog({
    lastFrameAt: () => last,
    deafAfterMs: 200,
    onDeaf: (ms) => fired.push(ms),
    clock: clock.read,
  })
  clock.now = last + 200 // exactly at the threshold: not yet deaf
  await checks(clock, 2)
  expect(fired).toEqual([])
  w.stop()
})

it('fires once, with the silence it measured, when no frame arrived for longer than the threshold', async () => {
  const clock = testClock()
  const fired: number[] = []
  const last = clock.now
  const w = startWatchdog({
    lastFrameAt: () => last,
    deafAfterMs: 200,
    onDeaf: (ms) => fired.push(ms),
    clock: clock.read,
  })
  clock.now = last + 201
  await waitFor('the watchdog to fire', () => fired.length === 1, 5000, 5)
  expect(fired).toEqual([201])
  // Having fired it stops checking: a second watchdog on the same period ticks on while this one never reads again.
  const reads = clock.reads
  const control = testClock()
  const c = startWatchdog({ lastFrameAt: () => control.now, deafAfterMs: 200, onDeaf: () => {}, clock: control.read })
  await checks(control, 3)
  c.stop()
  expect(clock.reads).toBe(reads)
  expect(fired).toEqual([201])
  w.stop()
})

it('does nothing once stopped', async () => {
  const clock = testClock()
  const fired: number[] = []
  const w = startWatchdog({ lastFrameAt: () => 0, deafAfterMs: 50, onDeaf: (ms) => fired.push(ms), clock: clock.read })
  w.stop()
  const control = testClock()
  const c = startWatchdog({ lastFrameAt: () => control.now, deafAfterMs: 50, onDeaf: () => {}, clock: control.read })
  await checks(control, 3)
  c.stop()
  expect(clock.reads).toBe(0)
  expect(fired).toEqual([])
})
