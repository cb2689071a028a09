// The move issue 14 promises: a session linked on a SQLite deployment (`wagate serve`, the real Baileys against
// the simulator) is copied by `wagate migrate-to-postgres` into a fresh PostgreSQL database, and `wagate serve
// --database-url` on the same data dir (same secret key, same media directory) connects it from the copied
// credentials with no QR, keeps what it had stored, and stores a new message once.
import { Database } from 'bun:sqlite'
import { afterAll, beforeAll, expect, it } from 'bun:test'
import type { SQL } from 'bun'
import { join } from 'node:path'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'
import { startPgSimRig, type PgSimRig } from '../helpers/pg-sim-rig.ts'
import { link } from '../helpers/sigkill-run.ts'
import { waitFor } from '../helpers/wait.ts'

const OWNER = '15551280001'
const BOB = '15551280002'
let rig: PgSimRig
let sql: SQL
let dir: string
let gw: GatewayProcess | null = null
let key = ''
let sid = ''
let before = '' // the message received on SQLite

const wa = () => ({ WAGATE_WA_URL: rig.sim.wsUrl, WAGATE_WA_ROOT_KEY: rig.sim.rootPublicKey })
const fromBob = (text: string) => rig.fromContact(text)
const api = async (path: string) => {
  const res = await fetch(`${gw!.url}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } })
  return (await res.json()) as any
}
const pgCount = async (text: string, ...params: unknown[]) =>
  Number(((await sql.unsafe(text, params)) as { n: string | number }[])[0]!.n)

beforeAll(async () => {
  rig = await startPgSimRig({ owner: OWNER, contact: BOB, dirPrefix: 'wagate-migrate-reconnect-' })
  ;({ sql, dir } = rig)
})
afterAll(async () => {
  await gw?.stop('SIGTERM')
  await rig.stop()
})

it('a session linked on SQLite receives a message; serve stops cleanly', async () => {
  gw = await startGateway({ dataDir: dir, env: wa(), timeoutMs: 30_000 })
  key = gw.key!
  sid = await link(gw, OWNER, rig.control)
  before = (await fromBob('before the move')).id
  const db = new Database(join(dir, 'wagate.db'), { readonly: true })
  try {
    await waitFor('stored on SQLite', () => {
      const r = db.query<{ n: number }, [string, string]>(
        'SELECT count(*) AS n FROM messages WHERE session_id = ? AND wa_id = ?',
      )
      return r.get(sid, before)!.n === 1
    })
  } finally {
    db.close()
  }
  expect(await gw.stop('SIGTERM')).toBe(0)
  gw = null
}, 60_000)

it('migrate-to-postgres copies the deployment, credentials included', async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const run = Bun.spawnSync(
    [process.execPath, join(import.meta.dir, '..', '..', 'src', 'main.ts'), 'migrate-to-postgres'].concat([
      '--from',
      dir,
      '--to',
      rig.tdb.url,
    ]),
    { env: { ...env, WAGATE_LOG_LEVEL: 'silent' } },
  )
  expect(run.exitCode).toBe(0)
  expect(run.stderr.toString()).toContain('counts verified')
  expect(await pgCount("SELECT count(*) AS n FROM auth_state WHERE session_id = $1 AND type = 'creds'", sid)).toBe(1)
  expect(await pgCount('SELECT count(*) AS n FROM messages WHERE session_id = $1 AND wa_id = $2', sid, before)).toBe(1)
}, 60_000)

it('serve --database-url on the same data dir connects the session without a QR and stores a new message once', async () => {
  const seq = await pgCount('SELECT coalesce(max(seq), 0) AS n FROM events')
  gw = await startGateway({
    dataDir: dir,
    env: { ...wa(), WAGATE_DATABASE_URL: rig.tdb.url },
    args: ['--lease-ttl-ms', '6000', '--lease-renew-ms', '500', '--lease-renew-deadline-ms', '3000'],
    timeoutMs: 30_000,
  })
  await waitFor('connected', async () => (await api(`/sessions/${sid}`)).status === 'connected', 30_000)
  expect(await pgCount("SELECT count(*) AS n FROM events WHERE type = 'session.qr' AND seq > $1", seq)).toBe(0)
  const statuses = (
    (await sql`SELECT data FROM events WHERE type = 'session.status' AND seq > ${seq} ORDER BY seq`) as {
      data: string
    }[]
  ).map((e) => (JSON.parse(e.data) as { status: string }).status)
  expect(statuses).not.toContain('qr')
  expect(statuses.at(-1)).toBe('connected')
  // What SQLite stored is served from PostgreSQL.
  const bob = encodeURIComponent(`${BOB}@s.whatsapp.net`)
  expect((await api(`/sessions/${sid}/chats/${bob}/messages/${before}`)).body).toBe('before the move')
  const after = (await fromBob('after the move')).id
  await waitFor(
    'stored on PostgreSQL',
    async () =>
      (await pgCount('SELECT count(*) AS n FROM messages WHERE session_id = $1 AND wa_id = $2', sid, after)) === 1,
    15_000,
  )
  const received = (await sql`SELECT data FROM events WHERE type = 'message.received' AND seq > ${seq}`) as {
    data: string
  }[]
  expect(received.filter((e) => JSON.parse(e.data).id === after).length).toBe(1)
}, 90_000)
