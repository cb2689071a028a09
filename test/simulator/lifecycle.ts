// Per test file: libsignal's console noise off for the file; after each test, its clients ended, its simulator
// stopped and the trusted root restored. Returns the list a test pushes its clients into.
import { afterAll, afterEach } from 'bun:test'
import { end, openWorlds, quietLibsignal, type Client } from './harness.ts'

export function simulatorLifecycle(): Client[] {
  afterAll(quietLibsignal())
  const clients: Client[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) await end(c)
    for (const w of [...openWorlds].reverse()) {
      openWorlds.delete(w)
      await w.sim.stop()
      w.untrust()
    }
  })
  return clients
}
