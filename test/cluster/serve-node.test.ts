// `startClusterServer`, two nodes in this process on one PostgreSQL database: the API served from the database by
// either node, sessions started through the API taken by exactly one node's lease, /readyz and /metrics of a node,
// a node with another secret key refused before it writes, and a stop that drains. The engine here has no
// WhatsApp connection (it records what the leases ask of it): the sockets behind leases are shown by
// node-engine.test.ts on the simulator.
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { SQL } from 'bun'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { startClusterServer, type ClusterEngineFactory, type ClusterRunning } from '../../src/cluster/serve.ts'
import { routedOps } from '../../src/cluster/commands-engine.ts'
import { SecretKeyMismatch } from '../../src/cluster/secret-key.ts'
import { loadConfig } from '../../src/config.ts'
import { AppError } from '../../src/errors.ts'
import { createLogger } from '../../src/log.ts'
import type { SessionEngine } from '../../src/sessions/engine.ts'
import type { LeaseDriven } from '../../src/sessions/supervisor.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { waitFor } from '../helpers/wait.ts'

const timings = { leaseTtlMs: 3000, leaseRenewMs: 200, leaseRenewDeadlineMs: 1500 }
const key = randomBytes(32).toString('hex')
const dir = mkdtempSync(join(tmpdir(), 'wagate-serve-node-'))
let tdb: TestDatabase
let admin: SQL
let adminKey = ''
/** Which node runs each session, as the leases told the engines; a second runner is a violation. */
const running = new Map<string, string>()
const violations: string[] = []
const nodes: ClusterRunning[] = []

const notConnected = async (): Promise<never> => {
  throw new AppError('session_not_connected', 'session is not connected')
}

/** An engine with no WhatsApp: lifecycle calls record the desired state, lease events who runs what. */
const engineOf =
  (name: string): ClusterEngineFactory =>
  ({ repos }) => {
    const live: SessionEngine & LeaseDriven = {
      // Every live-socket call answers session_not_connected; the lifecycle calls below override theirs.
      ...Object.fromEntries(routedOps.map((op) => [op, notConnected])),
      start: async (id: string) => void (await repos.sessions.setLive(id, { desiredState: 'running' })),
      stop: async (id: string) =>
        void (await repos.sessions.setLive(id, { desiredState: 'stopped', status: 'stopped' })),
      restart: async () => {},
      logout: notConnected,
      remove: async () => {},
      qr: async () => null,
      restore: async () => {},
      shutdown: async () => {},
      acquire: async (id: string) => {
        const other = running.get(id)
        if (other) violations.push(`${id} acquired by ${name} while running on ${other}`)
        running.set(id, name)
      },
      release: async (id: string) => void (running.get(id) === name && running.delete(id)),
      drop: (id: string) => void (running.get(id) === name && running.delete(id)),
    } as unknown as SessionEngine & LeaseDriven
    return live
  }

async function node(name: string, secretKey = key) {
  let banner = ''
  const config = {
    ...loadConfig(
      {
        databaseUrl: tdb.url,
        dataDir: dir,
        port: '0',
        nodeId: name,
        secretKey,
        rateLimit: '0',
        maxWebhooksPerOrg: '3',
        egressAllow: '127.0.0.1',
      },
      {},
    ),
    ...timings,
    databaseUrl: tdb.url,
  }
  const n = await startClusterServer(config, {
    logger: createLogger('silent'),
    version: 'test',
    makeEngine: engineOf(name),
    out: (s) => (banner += s),
  })
  nodes.push(n)
  adminKey ||= /(wgk_[A-Za-z0-9_-]+)/.exec(banner)?.[1] ?? ''
  return n
}

const api = async (n: ClusterRunning, path: string, body?: unknown) => {
  const res = await fetch(`${n.url}/api/v1${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as any }
}

beforeAll(async () => {
  tdb = await createTestDatabase()
  admin = new SQL({ url: tdb.url, max: 1 })
})
afterAll(async () => {
  for (const n of nodes) await n.stop().catch(() => {})
  await admin.close()
  await tdb.drop()
  rmSync(dir, { recursive: true, force: true })
})

describe('a cluster node (serve --database-url)', () => {
  it('two nodes serve one API from the database: what one creates the other reads', async () => {
    const a = await node('a')
    expect(adminKey).toStartWith('wgk_')
    const b = await node('b') // the database is bootstrapped already: no second admin key
    expect((await admin`SELECT count(*)::int AS n FROM api_keys`)[0].n).toBe(1)
    const created = await api(a, '/sessions', { name: 'first' })
    expect(created.status).toBe(201)
    const read = await api(b, `/sessions/${created.body.id}`)
    expect(read.status).toBe(200)
    expect(read.body.name).toBe('first')
  })

  it('sessions started through either node are each taken by one node, fairly', async () => {
    const [a, b] = nodes as [ClusterRunning, ClusterRunning]
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const r = await api(i % 2 ? b : a, '/sessions', { name: `s${i}`, start: true })
      expect(r.status).toBe(201)
      ids.push(r.body.id)
    }
    await waitFor('every session running on a node', () => ids.every((id) => running.has(id)))
    await waitFor('three each', () => a.node.owned() === 3 && b.node.owned() === 3)
    expect(violations).toEqual([])
  })

  it('/readyz is ready; /metrics names the node and counts its leases', async () => {
    const [a] = nodes as [ClusterRunning]
    const ready = await fetch(`${a.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })
    const fams = parsePrometheusTextFormat(await (await fetch(`${a.url}/metrics`)).text())
    const series = (name: string) => fams.find((f) => f.name === name)?.metrics as { labels: any; value: string }[]
    expect(series('wagate_cluster_node_info')).toEqual([{ labels: { node_id: 'a' }, value: '1' }])
    expect(series('wagate_cluster_sessions_owned')).toEqual([{ labels: { node_id: 'a' }, value: '3' }])
    expect(Number(series('wagate_cluster_leases_acquired_total')[0]!.value)).toBeGreaterThanOrEqual(3)
    expect(Number(series('wagate_cluster_lease_renewals_total')[0]!.value)).toBeGreaterThan(0)
    // The deployment's figures, the same on every node: the seven sessions, none connected (no WhatsApp here).
    const stopped = series('wagate_sessions').find((m) => m.labels.status === 'stopped')
    expect(stopped?.value).toBe('7')
  })

  it('/metrics counts the calls a node routed to the node running the session, and those it served', async () => {
    const [a, b] = nodes as [ClusterRunning, ClusterRunning]
    const onB = [...running].find(([, n]) => n === 'b')![0]
    const counter = async (n: ClusterRunning, name: string) => {
      const fams = parsePrometheusTextFormat(await (await fetch(`${n.url}/metrics`)).text())
      const m = fams.find((f) => f.name === name)?.metrics as { labels: any; value: string }[]
      expect(m.map((x) => x.labels)).toEqual([{ node_id: n.nodeId }])
      return Number(m[0]!.value)
    }
    const sent = await counter(a, 'wagate_cluster_commands_sent_total')
    const served = await counter(b, 'wagate_cluster_commands_served_total')
    expect((await api(a, `/sessions/${onB}/qr`)).status).toBe(409) // b's engine has no QR: answered by b
    expect(await counter(a, 'wagate_cluster_commands_sent_total')).toBe(sent + 1)
    expect(await counter(b, 'wagate_cluster_commands_served_total')).toBe(served + 1)
    expect(await counter(a, 'wagate_cluster_commands_unclaimed_total')).toBe(0)
    expect(await counter(a, 'wagate_cluster_commands_timeouts_total')).toBe(0)
  })

  it('a node with another secret key is refused before it writes anything', async () => {
    const before =
      await admin`SELECT (SELECT count(*)::int FROM cluster_nodes) AS nodes, (SELECT count(*)::int FROM api_keys) AS keys`
    const error = await node('intruder', randomBytes(32).toString('hex')).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SecretKeyMismatch)
    expect(
      await admin`SELECT (SELECT count(*)::int FROM cluster_nodes) AS nodes, (SELECT count(*)::int FROM api_keys) AS keys`,
    ).toEqual(before)
  })

  it('a node whose start fails halfway leaves nothing running: its connections are closed, no node row stays', async () => {
    // The node's connections carry their own application_name, so they can be told from the other nodes'.
    const url = `${tdb.url}?application_name=wagate-broken`
    const open = async () =>
      (
        await admin`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'wagate-broken'`
      )[0].n as number
    // Renewing less often than the deadline: the lease manager refuses it after the command bus listened.
    const config = {
      ...loadConfig({ databaseUrl: url, dataDir: dir, port: '0', nodeId: 'broken', secretKey: key }, {}),
      ...timings,
      leaseRenewMs: 2000,
      databaseUrl: url,
    }
    const error = await startClusterServer(config, {
      logger: createLogger('silent'),
      version: 'test',
      makeEngine: engineOf('broken'),
    }).catch((e: unknown) => e)
    expect(String(error)).toContain('lease timings need')
    await waitFor('the failed node to close its connections', async () => (await open()) === 0)
    expect(await admin`SELECT id FROM cluster_nodes WHERE id = 'broken'`).toEqual([])
  })

  it('the per-organisation webhook cap holds when creates arrive at both nodes at once', async () => {
    const [a, b] = nodes as [ClusterRunning, ClusterRunning]
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api(i % 2 ? a : b, '/webhooks', { url: `http://127.0.0.1:9/hook${i}`, events: ['*'] }),
      ),
    )
    expect(answers.map((r) => r.status).sort()).toEqual([201, 201, 201, 409, 409, 409, 409, 409, 409, 409])
    expect((await admin`SELECT count(*)::int AS n FROM webhooks`)[0].n).toBe(3)
    expect(answers.find((r) => r.status === 409)!.body.error).toMatchObject({ code: 'conflict', details: { limit: 3 } })
  })

  it('media uploaded through one node is served by the other, and deleting its session deletes the file', async () => {
    const [a, b] = nodes as [ClusterRunning, ClusterRunning]
    const { id: sid } = (await api(a, '/sessions', { name: 'media' })).body
    const bytes = randomBytes(70_000)
    const sha256 = new Bun.CryptoHasher('sha256').update(bytes).digest('hex')
    const form = new FormData()
    form.append('file', new File([bytes], 'invoice.pdf', { type: 'application/pdf' }))
    const up = await fetch(`${a.url}/api/v1/sessions/${sid}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
      body: form,
    })
    expect(up.status).toBe(201)
    const { mediaId } = (await up.json()) as { mediaId: string }
    expect(
      await admin`SELECT session_id, sha256, mimetype, size, filename FROM media_uploads WHERE id = ${mediaId}`,
    ).toEqual([{ session_id: sid, sha256, mimetype: 'application/pdf', size: '70000', filename: 'invoice.pdf' }])
    // A message of the session that carries the stored file (as an inbound download or a send would record it).
    const media = { kind: 'document', mimetype: 'application/pdf', size: 70_000, status: 'stored', sha256 }
    const [{ pk }] = await admin`INSERT INTO messages (session_id, chat_jid, wa_id, from_me, type, status, timestamp,
        media) VALUES (${sid}, '15551230001@s.whatsapp.net', 'WM1', false, 'document', 'delivered', 1, ${JSON.stringify(media)})
      RETURNING pk`
    await admin`INSERT INTO media_refs (sha256, session_id, owner, created_at) VALUES (${sha256}, ${sid}, ${`message:${pk}`}, 1)`
    const url = `/api/v1/sessions/${sid}/chats/15551230001@s.whatsapp.net/messages/WM1/media`
    const got = await fetch(`${b.url}${url}`, { headers: { authorization: `Bearer ${adminKey}` } })
    expect(got.status).toBe(200)
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true)
    const ranged = await fetch(`${b.url}${url}`, {
      headers: { authorization: `Bearer ${adminKey}`, range: 'bytes=10-19' },
    })
    expect(ranged.status).toBe(206)
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(10, 20))).toBe(true)
    const file = join(dir, 'media', sha256.slice(0, 2), sha256)
    expect(await Bun.file(file).exists()).toBe(true)
    const del = await fetch(`${b.url}/api/v1/sessions/${sid}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    })
    expect(del.status).toBe(204)
    expect(await Bun.file(file).exists()).toBe(false)
    expect(await admin`SELECT sha256 FROM media_files WHERE sha256 = ${sha256}`).toEqual([])
  })

  it('stopping a node drains it: its sessions are released and the other node takes them at once', async () => {
    const [a, b] = nodes as [ClusterRunning, ClusterRunning]
    const stopped = Date.now()
    await a.stop()
    expect(a.node.owned()).toBe(0)
    expect(await admin`SELECT id FROM cluster_nodes ORDER BY id`).toEqual([{ id: 'b' }])
    await waitFor('b to run all six', () => b.node.owned() === 6)
    expect(Date.now() - stopped).toBeLessThan(timings.leaseTtlMs)
    expect([...running.values()].every((n) => n === 'b')).toBe(true)
    expect(violations).toEqual([])
  })
})
