// Routing API calls to the node that runs the session, on a real PostgreSQL: two routing layers ("nodes") over one
// database, leases written in the table, and a recording engine per node standing in for its live sessions (the
// boundary under test is the command table, LISTEN/NOTIFY and the answers, not WhatsApp).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCommandRouting, type Routing } from '../../src/cluster/commands-engine.ts'
import type { CommandTimings } from '../../src/cluster/commands.ts'
import { AppError } from '../../src/errors.ts'
import type { SessionEngine, Upload } from '../../src/sessions/engine.ts'
import { migratePg } from '../../src/store/pg/db.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'

let tdb: TestDatabase
let admin: SQL
let mediaDir: string
const started: { routing: Routing; sql: SQL }[] = []

beforeAll(async () => {
  tdb = await createTestDatabase()
  admin = new SQL({ url: tdb.url, max: 2 })
  await migratePg(admin)
  await admin`INSERT INTO orgs (id, name) VALUES ('acme', 'Acme')`
  mediaDir = mkdtempSync(join(tmpdir(), 'wagate-commands-'))
})

afterEach(async () => {
  for (const n of started.splice(0)) {
    await n.routing.stop()
    await n.sql.close()
  }
})

afterAll(async () => {
  await admin.close()
  await tdb.drop()
  rmSync(mediaDir, { recursive: true, force: true })
})

type Call = [op: string, sessionId: string, ...args: unknown[]]
type Answers = Partial<Record<keyof SessionEngine, (...args: unknown[]) => unknown>>

/** An engine that records every call and answers from `answers` (undefined when none is given). */
function recordingEngine(answers: Answers) {
  const calls: Call[] = []
  const engine = new Proxy({} as SessionEngine, {
    get:
      (_, op: string) =>
      async (...args: unknown[]) => {
        calls.push([op, ...(args as [string, ...unknown[]])])
        return answers[op as keyof SessionEngine]?.(...args)
      },
  })
  return { engine, calls }
}

type Node = ReturnType<typeof recordingEngine> & {
  routing: Routing
  engine: SessionEngine
  kicks: number[]
  held: Set<string>
}

/** A routing layer named `nodeId` holding `holds`, its local engine answering `answers`. */
async function node(
  nodeId: string,
  holds: string[],
  answers: Answers = {},
  timings: Partial<CommandTimings> = {},
): Promise<Node> {
  const sql = new SQL({ url: tdb.url, max: 4 })
  const local = recordingEngine(answers)
  const kicks: number[] = []
  const held = new Set(holds)
  const routing = createCommandRouting({
    sql,
    nodeId,
    holds: (id) => held.has(id),
    local: local.engine,
    media: { path: (sha256) => join(mediaDir, sha256) },
    kick: () => kicks.push(Date.now()),
    timings: { pollMs: 200, ...timings },
    ownerWaitMs: 1000,
  })
  await routing.start()
  started.push({ routing, sql })
  return { calls: local.calls, routing, engine: routing.engine, kicks, held }
}

let seq = 0
/** A session row, leased to `owner` for `leaseMs` (negative: expired) when given. */
async function session(
  opts: { owner?: string; leaseMs?: number; desired?: string; status?: string } = {},
): Promise<string> {
  const id = `s${++seq}`
  await admin`INSERT INTO sessions (id, org_id, name, desired_state, status)
    VALUES (${id}, 'acme', ${id}, ${opts.desired ?? 'running'}, ${opts.status ?? 'connected'})`
  if (opts.owner)
    await admin`INSERT INTO session_leases (session_id, node_id, epoch, expires_at)
      VALUES (${id}, ${opts.owner}, 1, (floor(extract(epoch from clock_timestamp()) * 1000))::bigint + ${opts.leaseMs ?? 60_000})`
  return id
}

const commandRows = async (sid: string) =>
  Number((await admin`SELECT count(*)::int AS n FROM cluster_commands WHERE session_id = ${sid}`)[0].n)
const sessionRow = async (id: string) =>
  (await admin`SELECT desired_state, status FROM sessions WHERE id = ${id}`)[0] as {
    desired_state: string
    status: string
  }

describe('a command for a session another node runs', () => {
  it("reaches the owner's engine once and answers its result", async () => {
    const sid = await session({ owner: 'node-a' })
    const checks = [{ phone: '15551230001', exists: true, jid: '15551230001@s.whatsapp.net' }]
    const a = await node('node-a', [sid], { checkPhones: () => checks })
    const b = await node('node-b', [])
    expect(await b.engine.checkPhones(sid, ['15551230001'])).toEqual(checks as never)
    expect(a.calls).toEqual([['checkPhones', sid, ['15551230001']]])
    expect(b.calls).toEqual([])
    expect(await commandRows(sid)).toBe(0)
  })

  it('runs on the local engine, with no command, when this node holds the session', async () => {
    const sid = await session({ owner: 'node-a' })
    const a = await node('node-a', [sid], { qr: () => ({ qr: 'QR', expiresAt: 1 }) })
    expect(await a.engine.qr(sid)).toEqual({ qr: 'QR', expiresAt: 1 })
    expect(a.calls).toEqual([['qr', sid]])
    expect(a.routing.bus.stats.sent).toBe(0)
  })

  it("passes the owner's AppError to the caller unchanged", async () => {
    const sid = await session({ owner: 'node-a' })
    await node('node-a', [sid], {
      createGroup: () => {
        throw new AppError('upstream_error', 'WhatsApp refused the request', { status: 403, reason: 'not-allowed' })
      },
    })
    const b = await node('node-b', [])
    const err = await b.engine.createGroup(sid, { subject: 'x', participants: [] }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AppError)
    expect(err).toMatchObject({
      errorCode: 'upstream_error',
      status: 502,
      message: 'WhatsApp refused the request',
      details: { status: 403, reason: 'not-allowed' },
    })
  })

  it('answers an unexpected error on the owner as the opaque internal error', async () => {
    const sid = await session({ owner: 'node-a' })
    await node('node-a', [sid], {
      leaveGroup: () => {
        throw new TypeError('secret internals')
      },
    })
    const b = await node('node-b', [])
    const err = await b.engine.leaveGroup(sid, '123-456@g.us').catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'internal', status: 500, message: 'internal error', details: {} })
  })

  it("keeps concurrent commands' answers apart", async () => {
    const sid = await session({ owner: 'node-a' })
    const a = await node('node-a', [sid], {
      contactPicture: async (_id, jid) => {
        await Bun.sleep(Math.floor(Math.random() * 30))
        return `https://pics.example/${String(jid)}`
      },
    })
    const b = await node('node-b', [])
    const jids = Array.from({ length: 20 }, (_, i) => `1555123${String(i).padStart(4, '0')}@s.whatsapp.net`)
    const answers = await Promise.all(jids.map((j) => b.engine.contactPicture(sid, j)))
    expect(answers).toEqual(jids.map((j) => `https://pics.example/${j}`))
    expect(a.calls.length).toBe(20)
  })

  it('fails with 503 unavailable, without running it, when the owner never takes it', async () => {
    const sid = await session({ owner: 'node-c' }) // leased to a node that is not listening
    const b = await node('node-b', [], {}, { claimTimeoutMs: 300, timeoutMs: 5000 })
    const started = performance.now()
    const err = await b.engine.setPresence(sid, 'available').catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'unavailable', status: 503, details: { reason: 'owner_unreachable' } })
    expect(performance.now() - started).toBeLessThan(5000)
    expect(await commandRows(sid)).toBe(0)
  })

  it('fails with 503 unavailable within the timeout when the owner took it and never answers', async () => {
    const sid = await session({ owner: 'node-a' })
    await node('node-a', [sid], { sendTyping: () => new Promise(() => {}) }, { timeoutMs: 800 })
    const b = await node('node-b', [], {}, { timeoutMs: 800 })
    const started = performance.now()
    const err = await b.engine.sendTyping(sid, '15551230001@s.whatsapp.net', 'composing').catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'unavailable', status: 503, details: { reason: 'owner_timeout' } })
    expect(performance.now() - started).toBeLessThan(5000)
    expect(await commandRows(sid)).toBe(0)
  })

  it('is taken by the owner from the table when its NOTIFY was missed', async () => {
    const sid = await session({ owner: 'node-a' })
    const a = await node('node-a', [sid], { subscribePresence: () => undefined })
    const [row] = await admin`
      INSERT INTO cluster_commands (session_id, origin_node, target_node, op, args, created_at, deadline_at)
      VALUES (${sid}, 'node-x', 'node-a', 'subscribePresence', '["1@s.whatsapp.net"]', 0, 9e15::bigint)
      RETURNING id`
    await waitFor('the swept command answered', async () => {
      const [r] = await admin`SELECT done_at FROM cluster_commands WHERE id = ${row.id}`
      return r?.done_at != null
    })
    expect(a.calls).toEqual([['subscribePresence', sid, '1@s.whatsapp.net']])
  })

  it('goes to the lease holder for stop, which runs it', async () => {
    const sid = await session({ owner: 'node-a' })
    const a = await node('node-a', [sid])
    const b = await node('node-b', [])
    await b.engine.stop(sid)
    expect(a.calls).toEqual([['stop', sid]])
  })

  it('carries an upload as its file in the shared media store', async () => {
    const sid = await session({ owner: 'node-a' })
    const sha256 = 'ab'.repeat(32)
    writeFileSync(join(mediaDir, sha256), 'bytes')
    let received: Upload | null = null
    await node('node-a', [sid], {
      send: async (_id, _input, upload) => {
        received = upload as Upload
        return { id: 'm1', status: 'pending', kept: await (upload as Upload).file.keep() }
      },
    })
    const b = await node('node-b', [])
    let kept = 0
    const upload: Upload = {
      file: { sha256, size: 5, type: 'image/png', keep: async () => (kept++, { sha256, size: 5 }), discard: () => {} },
      filename: 'a.png',
      type: null,
      options: { caption: 'hi' },
    }
    const sent = await b.engine.send(sid, { to: '15551230001' }, upload)
    expect(sent).toEqual({ id: 'm1', status: 'pending', kept: { sha256, size: 5 } } as never)
    expect(kept).toBe(1)
    expect(received!).toMatchObject({
      file: { sha256, size: 5, type: 'image/png' },
      filename: 'a.png',
      type: null,
      options: { caption: 'hi' },
    })
  })

  it("refuses an upload with 503 when the file is not in the owner's media store", async () => {
    const sid = await session({ owner: 'node-a' })
    const a = await node('node-a', [sid])
    const b = await node('node-b', [])
    const sha256 = 'cd'.repeat(32)
    const upload: Upload = {
      file: { sha256, size: 5, type: '', keep: async () => ({ sha256, size: 5 }), discard: () => {} },
      filename: null,
      type: null,
      options: {},
    }
    const err = await b.engine.send(sid, { to: '15551230001' }, upload).catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'unavailable', status: 503 })
    expect(a.calls).toEqual([])
  })
})

describe('a command for a session no node runs', () => {
  it('answers 409 session_not_connected for an operation that needs the socket', async () => {
    const sid = await session()
    const a = await node('node-a', [])
    const err = await a.engine.send(sid, { to: '15551230001', text: 'hi' }).catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'session_not_connected', status: 409 })
    expect(a.calls).toEqual([])
    expect(await commandRows(sid)).toBe(0)
  })

  it('counts an expired lease as no owner', async () => {
    const sid = await session({ owner: 'node-c', leaseMs: -1000 })
    const a = await node('node-a', [])
    const err = await a.engine.react(sid, '1@s.whatsapp.net', 'X', '👍').catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'session_not_connected', status: 409 })
  })

  it('answers session_not_connected when the lease row names a node that no longer holds it', async () => {
    const sid = await session({ owner: 'node-a' })
    const a = await node('node-a', []) // the row says node-a; node-a has let it go
    const b = await node('node-b', [])
    const err = await b.engine.muteChannel(sid, '1@newsletter', true).catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'session_not_connected', status: 409 })
    expect(a.calls).toEqual([])
  })

  it('has no QR', async () => {
    const sid = await session()
    const a = await node('node-a', [])
    expect(await a.engine.qr(sid)).toBeNull()
  })

  it('records start as desired state running and asks the lease manager for a round', async () => {
    const sid = await session({ desired: 'stopped', status: 'stopped' })
    const a = await node('node-a', [])
    await a.engine.start(sid)
    expect(await sessionRow(sid)).toEqual({ desired_state: 'running', status: 'stopped' })
    expect(a.kicks.length).toBe(1)
    expect(a.calls).toEqual([])
  })

  /** The session.status events of `sid`: [status, desiredState, lastError] of their Session data. */
  const statusEvents = async (sid: string) =>
    (
      (await admin`SELECT org_id, data FROM events WHERE session_id = ${sid} AND type = 'session.status' ORDER BY seq`) as {
        org_id: string
        data: string
      }[]
    ).map((e) => {
      const s = JSON.parse(e.data) as { id: string; orgId: string; status: string; desiredState: string }
      expect([e.org_id, s.id, s.orgId]).toEqual(['acme', sid, 'acme'])
      return [s.status, s.desiredState]
    })

  it('records stop: desired state and status stopped, and a session.status event', async () => {
    const sid = await session({ owner: 'node-c', leaseMs: -1000, status: 'connected' })
    const a = await node('node-a', [])
    await a.engine.stop(sid)
    expect(await sessionRow(sid)).toEqual({ desired_state: 'stopped', status: 'stopped' })
    expect(await statusEvents(sid)).toEqual([['stopped', 'stopped']])
  })

  it('a stop of a session already stopped appends no event', async () => {
    const sid = await session({ desired: 'stopped', status: 'stopped' })
    const a = await node('node-a', [])
    await a.engine.stop(sid)
    expect(await statusEvents(sid)).toEqual([])
  })

  it('logs out: wipes the credentials, status logged_out, and a session.status event', async () => {
    const sid = await session({ status: 'reconnecting' })
    await admin`INSERT INTO auth_state (session_id, type, id, value) VALUES (${sid}, 'creds', '', ${Buffer.from('x')})`
    const a = await node('node-a', [])
    await a.engine.logout(sid)
    expect(await sessionRow(sid)).toEqual({ desired_state: 'stopped', status: 'logged_out' })
    expect((await admin`SELECT count(*)::int AS n FROM auth_state WHERE session_id = ${sid}`)[0].n).toBe(0)
    expect(await statusEvents(sid)).toEqual([['logged_out', 'stopped']])
  })

  it('asks for a pairing code from the node that took the session once it was marked to run', async () => {
    const sid = await session({ desired: 'stopped', status: 'stopped' })
    const a = await node('node-a', [], { requestPairingCode: () => ({ code: 'ABCD1234' }) })
    const b = await node('node-b', [])
    const answer = b.engine.requestPairingCode(sid, '15551230001')
    // Stands in for node-a's lease round, which takes a session once it is marked to run.
    await waitFor('the session marked to run', async () => (await sessionRow(sid)).desired_state === 'running')
    await admin`INSERT INTO session_leases (session_id, node_id, epoch, expires_at) VALUES (${sid}, 'node-a', 1, 9e15::bigint)`
    a.held.add(sid)
    expect(await answer).toEqual({ code: 'ABCD1234' })
    expect(a.calls).toEqual([['requestPairingCode', sid, '15551230001']])
    expect(b.kicks.length).toBe(1)
  })

  it('answers conflict to a pairing code when no node takes the session within the bound', async () => {
    const sid = await session({ desired: 'stopped', status: 'stopped' })
    const a = await node('node-a', [])
    const err = await a.engine.requestPairingCode(sid, '15551230001').catch((e: unknown) => e)
    expect(err).toMatchObject({ errorCode: 'conflict', message: 'the session did not reach the pairing step' })
  })
})
