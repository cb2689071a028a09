import { afterAll, expect, test } from 'bun:test'
import { account, end, pairByQr, quietLibsignal, world } from './harness.ts'

const restore = quietLibsignal()
afterAll(restore)

test('smoke', async () => {
  const w = await world()
  await account(w.sim, '15551230001')
  const c = await pairByQr(w.sim, '15551230001')
  expect(c.auth.creds.me?.id).toContain('15551230001')
  await end(c)
  await w.sim.stop()
  w.untrust()
}, 30000)
