// The rig of the tests that run `wagate serve` binaries against the simulator and a PostgreSQL database: a fresh
// database (and one connection to look into it), the simulator with the phone that links and a contact, and a data
// dir. `stop` removes them all.
import { SQL } from 'bun'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startSimulator } from '../../src/simulator/index.ts'
import { createTestDatabase } from './pg.ts'
import { simControl } from './sim-control.ts'

export type PgSimRig = Awaited<ReturnType<typeof startPgSimRig>>

export async function startPgSimRig(o: { owner: string; contact: string; dirPrefix: string }) {
  const tdb = await createTestDatabase()
  const sql = new SQL({ url: tdb.url, max: 1 })
  const sim = await startSimulator({ port: 0, controlPort: 0 })
  const control = simControl(sim.controlUrl)
  await control('POST', '/accounts', { phone: o.owner, name: 'Owner' })
  await control('POST', '/accounts', { phone: o.contact, name: 'Bob' })
  const dir = mkdtempSync(join(tmpdir(), o.dirPrefix))
  return {
    tdb,
    sql,
    sim,
    control,
    dir,
    /** A text from the contact to the owner; answers its WhatsApp message. */
    fromContact: async (text: string) =>
      (await control('POST', `/accounts/${o.contact}/messages`, { to: o.owner, text })).body as { id: string },
    async stop() {
      await sql.close()
      await sim.stop()
      await tdb.drop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
