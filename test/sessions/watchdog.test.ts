import { expect, it } from 'bun:test'
import { startWatchdog } from '../../src/sessions/watchdog.ts'

it('fires once when no frame arrived for longer than the threshold', async () => {
  let last = Date.now()
  const fired: number[] = []
  const w = startWatchdog({ lastFrameAt: () => last, deafAfterMs: 200, onDeaf: (ms) => fired.push(ms) })
  for (let i = 0; i < 6; i++) {
    await Bun.sleep(60)
    last = Date.now() // frames keep coming
  }
  expect(fired).toEqual([])
  await Bun.sleep(400)
  expect(fired).toHaveLength(1)
  expect(fired[0]).toBeGreaterThan(200)
  w.stop()
})

it('does nothing once stopped', async () => {
  const fired: number[] = []
  const w = startWatchdog({ lastFrameAt: () => 0, deafAfterMs: 50, onDeaf: (ms) => fired.push(ms) })
  w.stop()
  await Bun.sleep(120)
  expect(fired).toEqual([])
})
