// Test harness: a real SQLite file in a temp dir, the simulator in-process, and a supervisor wired to both.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ulid } from 'ulid'
import type { LinkPreviewer } from '../../src/domain/outbound.ts'
import { createLogger, type Logger } from '../../src/log.ts'
import { mediaFilesOf } from '../../src/media/files.ts'
import { openMediaStore } from '../../src/media/store.ts'
import { sqliteEngineStore } from '../../src/sessions/engine-store.ts'
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/sessions/supervisor.ts'
import { startSimulator, type Simulator } from '../../src/simulator/index.ts'
import { openDb, type Db } from '../../src/store/db.ts'
import { asyncRepo } from '../../src/store/contract.ts'
import { createEventStore } from '../../src/store/events.ts'
import { createMediaRepo } from '../../src/store/media.ts'
import { orgs, sessions } from '../../src/store/schema.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

export { waitFor }

export type Harness = Awaited<ReturnType<typeof startHarness>>

export async function startHarness(
  opts: {
    sim?: Simulator
    dir?: string
    secretKey?: Buffer
    rootKey?: Buffer
    logger?: Logger
    baileysLogLevel?: string
    /** The watchdog's silence threshold (default 2.5 s; 0 disables it). */
    deafAfterMs?: number
    /** Inbound media: trust the simulator's media CA and download every kind (retries quick). */
    downloads?: boolean
    /** Sessions restored at once at boot (the supervisor's default when absent). */
    restoreConcurrency?: number
    /** Link previews for texts sent (none by default). */
    linkPreviews?: LinkPreviewer
  } = {},
) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'wagate-sessions-'))
  const sim = opts.sim ?? (await startSimulator({ port: 0, controlPort: 0 }))
  const secretKey = opts.secretKey ?? randomBytes(32)
  const db: Db = openDb(join(dir, 'wagate.db'))
  const events = createEventStore(db)
  const media = openMediaStore({ dir: join(dir, 'media'), repo: asyncRepo(createMediaRepo(db)) })
  const options: SupervisorOptions = {
    store: sqliteEngineStore(db, events),
    logger: opts.logger ?? createLogger('silent'),
    secretKey,
    waUrl: sim.wsUrl,
    rootKey: opts.rootKey ?? Buffer.from(sim.rootPublicKey, 'base64'),
    mediaCa: sim.mediaCa,
    backoff: { baseMs: 50, capMs: 400 },
    restoreStaggerMs: 10,
    ...(opts.restoreConcurrency ? { restoreConcurrency: opts.restoreConcurrency } : {}),
    keepAliveIntervalMs: 1_000,
    deafAfterMs: opts.deafAfterMs ?? 2_500,
    connectTimeoutMs: 5_000,
    baileysLogLevel: opts.baileysLogLevel ?? 'silent',
    sending: {
      pacing: { minGapMs: 0, jitterMs: 0, typing: false },
      media: mediaFilesOf(media),
      ...(opts.linkPreviews ? { linkPreviews: opts.linkPreviews } : {}),
    },
    ...(opts.downloads
      ? {
          mediaCa: sim.mediaCa,
          downloads: {
            store: media,
            policy: { autoDownload: ['image', 'video', 'audio', 'document', 'sticker'], maxBytes: 64 << 20 },
            hostAllowed: (host: string) => host.startsWith('127.0.0.1:'),
            retryDelaysMs: [200, 500],
            reuploadTimeoutMs: 5_000,
          },
        }
      : {}),
  }
  const supervisor: Supervisor = createSupervisor(options)

  const control = simControl(sim.controlUrl)

  let orgId: string | null = null
  function createSession(name = 'test'): string {
    if (!orgId) {
      orgId = `org_${ulid()}`
      db.orm.insert(orgs).values({ id: orgId, name: 'Test org' }).run()
    }
    const id = ulid()
    db.orm.insert(sessions).values({ id, orgId, name }).run()
    return id
  }

  const session = (id: string) =>
    db.sqlite.query<Record<string, any>, [string]>('SELECT * FROM sessions WHERE id = ?').get(id)!
  const eventsOf = (type: string) =>
    db.sqlite
      .query<{ type: string; data: string; dedupe_key: string | null }, [string]>(
        'SELECT type, data, dedupe_key FROM events WHERE type = ? ORDER BY seq',
      )
      .all(type)
      .map((e) => ({ ...e, data: JSON.parse(e.data) }))

  /** Creates a simulator account, starts a session, scans its QR and waits until connected. */
  async function linkedSession(phone: string, name = 'Gateway Owner') {
    await control('POST', '/accounts', { phone, name })
    const sid = createSession()
    await supervisor.start(sid)
    const qr = await waitFor('a QR', () => supervisor.qr(sid))
    const scan = await control('POST', `/accounts/${phone}:scan`, { qr: qr.qr })
    if (scan.status !== 200) throw new Error(`scan failed: ${JSON.stringify(scan.body)}`)
    await waitFor('connected', () => session(sid).status === 'connected', 15_000)
    return sid
  }

  return {
    dir,
    sim,
    media,
    db,
    events,
    supervisor,
    secretKey,
    control,
    createSession,
    session,
    eventsOf,
    linkedSession,
    /** Shuts the supervisor down; `keep` leaves the simulator and the data dir for a restart. */
    async close(keep = false) {
      await supervisor.shutdown()
      db.close()
      if (!keep) {
        await sim.stop()
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}
