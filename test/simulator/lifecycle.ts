// Simulator test files: libsignal's console noise off for the file, clients ended, simulators stopped and the
// trusted root restored — after each test (simulatorLifecycle) or once after the file, for files whose tests
// share one simulator and its clients (sharedSimulatorLifecycle).
import { afterAll, afterEach } from 'bun:test'
import { end, openWorlds, quietLibsignal, type Client } from './harness.ts'

/** Stops every simulator still open, newest first, restoring the root each one trusted over. */
async function stopOpenWorlds() {
  for (const w of [...openWorlds].reverse()) {
    openWorlds.delete(w)
    await w.sim.stop()
    w.untrust()
  }
}

/** Returns the list a test pushes its clients into; they and its simulators go after each test. */
export function simulatorLifecycle(): Client[] {
  afterAll(quietLibsignal())
  const clients: Client[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) await end(c)
    await stopOpenWorlds()
  })
  return clients
}

/** Once after the file: ends the clients `clients()` names (set up in beforeAll) and stops the simulators. */
export function sharedSimulatorLifecycle(clients: () => (Client | undefined)[]) {
  const restoreConsole = quietLibsignal()
  afterAll(async () => {
    for (const c of clients()) if (c) await end(c)
    await stopOpenWorlds()
  })
  afterAll(restoreConsole)
}
