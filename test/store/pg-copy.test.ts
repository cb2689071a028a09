// `wagate migrate-to-postgres`, run as a process: a data dir filled through the gateway's store functions is
// copied into an empty PostgreSQL database with exact counts and identical values, its media files into the
// `--media-to` directory; a non-empty target and a data dir in use are refused with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { Database } from 'bun:sqlite'
import { SQL } from 'bun'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { secretKeyFingerprint } from '../../src/cluster/secret-key.ts'
import { createSealer } from '../../src/domain/sealer.ts'
import { lockDataDir } from '../../src/store/data-dir.ts'
import { tablesInCopyOrder } from '../../src/store/pg/copy.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { populateDataDir, type Populated } from '../helpers/populated-data-dir.ts'

const dir = mkdtempSync(join(tmpdir(), 'wagate-pgcopy-'))
const dataDir = join(dir, 'data')
const shared = join(dir, 'shared-media')
const MESSAGES = 1500 // per session: 4,500 messages and 4,500 events, several batches each
let target: TestDatabase
let pg: SQL
let sqlite: Database
let seeded: Populated
let run: { code: number | null; out: string; err: string }
const sourceCounts: Record<string, number> = {}

function wagate(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_')))
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, '..', '..', 'src', 'main.ts'), ...args], {
    env: { ...env, WAGATE_LOG_LEVEL: 'silent' },
  })
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }
}

const copiedTables = tablesInCopyOrder()
  .map((t) => t.name)
  .filter((n) => !['cluster_meta', 'cluster_nodes', 'session_leases', 'cluster_commands'].includes(n))

beforeAll(async () => {
  seeded = await populateDataDir(dataDir, { messages: MESSAGES })
  sqlite = new Database(join(dataDir, 'wagate.db'), { readonly: true })
  for (const t of copiedTables)
    sourceCounts[t] = sqlite.query<{ n: number }, []>(`SELECT count(*) AS n FROM "${t}"`).get()!.n
  target = await createTestDatabase()
  pg = new SQL({ url: target.url, max: 2 })
  run = wagate(['migrate-to-postgres', '--from', dataDir, '--to', target.url, '--media-to', shared])
}, 120_000)

afterAll(async () => {
  sqlite?.close()
  await pg?.close()
  await target?.drop()
  rmSync(dir, { recursive: true, force: true })
})

const pgCount = async (t: string) =>
  ((await pg.unsafe(`SELECT count(*)::int AS n FROM "${t}"`)) as { n: number }[])[0]!.n

describe('wagate migrate-to-postgres', () => {
  it('copies every table with exactly the rows SQLite holds, and reports them', async () => {
    expect(run.err).not.toContain('error')
    expect(run.code).toBe(0)
    for (const t of copiedTables) expect([t, sourceCounts[t]! > 0]).toEqual([t, true]) // every table is exercised
    expect(sourceCounts.messages).toBe(3 * MESSAGES)
    const result = JSON.parse(run.out) as { tables: Record<string, number>; rows: number }
    expect(result.tables).toEqual(sourceCounts)
    expect(result.rows).toBe(Object.values(sourceCounts).reduce((a, b) => a + b, 0))
    for (const t of copiedTables) expect([t, await pgCount(t)]).toEqual([t, sourceCounts[t]!])
  })

  it('prints progress for every table on stderr', () => {
    for (const t of copiedTables)
      expect(run.err).toContain(`wagate migrate-to-postgres: ${t}: ${sourceCounts[t]} rows\n`)
    expect(run.err).toMatch(/wagate migrate-to-postgres: \d+ rows in \d+ ms, counts verified\n$/)
  })

  it('copies every media file into --media-to, byte for byte, and reports it', () => {
    const result = JSON.parse(run.out) as { media: Record<string, unknown> }
    expect(result.media).toEqual({
      files: 3,
      bytes: 3 * 12_345,
      copied: 3,
      alreadyThere: 0,
      missing: [],
      damaged: [],
      to: shared,
    })
    for (const [sha, bytes] of seeded.media)
      expect(readFileSync(join(shared, sha.slice(0, 2), sha)).equals(bytes)).toBe(true)
    expect(run.err).toContain(
      `wagate migrate-to-postgres: media: copying 3 files (0.0 MB) from ${join(dataDir, 'media')} to ${shared}\n`,
    )
    expect(run.err).toContain(
      `wagate migrate-to-postgres: media: 3 files copied to ${shared}, 0 already there; every node must use ` +
        `${shared} as its DATA_DIR/media\n`,
    )
  })

  it('keeps message rows value for value (text, booleans, times)', async () => {
    type Row = Record<string, unknown>
    const src = sqlite.query<Row, []>("SELECT * FROM messages WHERE wa_id = '3EB0000000004'").get()!
    const [dst] = (await pg`SELECT * FROM messages WHERE wa_id = '3EB0000000004'`) as Row[]
    const normalised = Object.fromEntries(
      Object.entries(dst!).map(([k, v]) => [
        k,
        typeof v === 'boolean'
          ? Number(v)
          : typeof v === 'string' && /^(pk|timestamp|created_at)$/.test(k)
            ? Number(v)
            : v,
      ]),
    )
    expect(normalised).toEqual(src)
    expect(src.edited).toBe(1)
    expect(src.body).toBe('message 4 of sales – ünïcödé ✓')
  })

  it('copies WhatsApp auth state byte for byte, still opening under the same key', async () => {
    const sealer = createSealer(seeded.secretKey)
    for (const sessionId of seeded.sessionIds) {
      const src = sqlite
        .query<{ type: string; id: string; value: Uint8Array }, [string]>(
          'SELECT type, id, value FROM auth_state WHERE session_id = ? ORDER BY type, id',
        )
        .all(sessionId)
      const dst =
        (await pg`SELECT type, id, value FROM auth_state WHERE session_id = ${sessionId} ORDER BY type, id`) as {
          type: string
          id: string
          value: Buffer
        }[]
      expect(dst.map((r) => [r.type, r.id, Buffer.from(r.value).toString('hex')])).toEqual(
        src.map((r) => [r.type, r.id, Buffer.from(r.value).toString('hex')]),
      )
      const creds = dst.find((r) => r.type === 'creds')!
      const opened = JSON.parse(sealer.open(creds.value, `${sessionId}/creds/`).toString('utf8')) as {
        registrationId: number
      }
      expect(Number.isInteger(opened.registrationId)).toBe(true)
    }
  })

  it('copies binary media keys and poll secrets, and webhook secrets as sealed', async () => {
    const hex = (v: Uint8Array | null) => (v ? Buffer.from(v).toString('hex') : null)
    const srcKeys = sqlite
      .query<{ k: Uint8Array }, []>('SELECT media_key AS k FROM message_media ORDER BY message_pk')
      .all()
    const dstKeys = (await pg`SELECT media_key AS k FROM message_media ORDER BY message_pk`) as { k: Buffer }[]
    expect(dstKeys.map((r) => hex(r.k))).toEqual(srcKeys.map((r) => hex(r.k)))
    const srcPoll = sqlite.query<{ s: Uint8Array }, []>('SELECT secret AS s FROM polls ORDER BY message_pk').all()
    const dstPoll = (await pg`SELECT secret AS s FROM polls ORDER BY message_pk`) as { s: Buffer }[]
    expect(dstPoll.map((r) => hex(r.s))).toEqual(srcPoll.map((r) => hex(r.s)))
    const srcHook = sqlite
      .query<{ id: string; secret: string; hwm: number }, []>('SELECT id, secret, hwm FROM webhooks')
      .get()!
    expect(await pg`SELECT id, secret, hwm::int AS hwm FROM webhooks`).toEqual([srcHook])
    expect(srcHook.hwm).toBe(
      sqlite.query<{ m: number }, []>("SELECT max(seq) AS m FROM events WHERE org_id = 'acme'").get()!.m,
    )
  })

  it('continues every identity sequence after the largest id SQLite handed out', async () => {
    const maxPk = sqlite.query<{ m: number }, []>('SELECT max(pk) AS m FROM messages').get()!.m
    const [row] = (await pg`INSERT INTO messages (session_id, chat_jid, wa_id, from_me, type, status, timestamp)
      VALUES (${seeded.sessionIds[0]!}, 'x@s.whatsapp.net', 'NEW', false, 'text', 'sent', 1) RETURNING pk::int AS pk`) as {
      pk: number
    }[]
    expect(row!.pk).toBe(maxPk + 1)
    const maxSeq = sqlite.query<{ m: number }, []>('SELECT max(seq) AS m FROM events').get()!.m
    const [ev] = (await pg`INSERT INTO events (id, org_id, type, created_at, data)
      VALUES ('evt_new', 'acme', 't', 1, '{}') RETURNING seq::int AS seq`) as { seq: number }[]
    expect(ev!.seq).toBe(maxSeq + 1)
  })

  it("records the secret key's fingerprint, never the key", async () => {
    expect(await pg`SELECT key, value FROM cluster_meta`).toEqual([
      { key: 'secret_key_fingerprint', value: secretKeyFingerprint(seeded.secretKey) },
    ])
  })

  it('refuses a target that holds rows, naming them, and writes nothing', async () => {
    const before = await pgCount('messages')
    const elsewhere = join(dir, 'elsewhere')
    const again = wagate(['migrate-to-postgres', '--from', dataDir, '--to', target.url, '--media-to', elsewhere])
    expect(again.code).toBe(1)
    expect(existsSync(elsewhere)).toBe(false)
    expect(again.err).toContain('wagate: the target database is not empty (rows in cluster_meta, events, ')
    expect(again.err).toContain('nothing was written')
    expect(await pgCount('messages')).toBe(before)
  })

  it('refuses a data dir a running serve holds, before touching the target', async () => {
    const empty = await createTestDatabase()
    const lock = lockDataDir(dataDir)
    try {
      const r = wagate(['migrate-to-postgres', '--from', dataDir, '--to', empty.url])
      expect(r.code).toBe(1)
      expect(r.err).toContain('is in use by another wagate serve')
      const probe = new SQL({ url: empty.url, max: 1 })
      expect(await probe`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`).toEqual([])
      await probe.close()
    } finally {
      lock.release()
      await empty.drop()
    }
  })

  it('asks for --from and --to', () => {
    const r = wagate(['migrate-to-postgres', '--from', dataDir])
    expect(r.code).toBe(2)
    expect(r.err).toContain('Usage: wagate migrate-to-postgres --from DATA_DIR --to')
  })
})
