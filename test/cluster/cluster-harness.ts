// A cluster of real gateway binaries: a fresh PostgreSQL database, the simulator (`wagate simulator`) and `wagate
// serve --database-url` nodes, each a child process of the binary built once per test process (test/helpers/
// binary.ts, the release flags). The nodes share one secret key (WAGATE_SECRET_KEY) and one data dir (DATA_DIR/media);
// each connects to PostgreSQL with `application_name=wagate-<node id>`, so the database itself can tell which node
// wrote a row (see `audit`). What a test needs to see from outside: the API of any node, its /metrics, the
// simulator's control API (the phones' inboxes, each linked device's logins), the TCP sockets a node process holds
// to the simulator (from /proc), and webhook receivers on 127.0.0.1. Logs go to files in the run's temp dir
// (WAGATE_CLUSTER_KEEP=1 keeps it).
import { SQL } from 'bun'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'
import { migratePg } from '../../src/store/pg/db.ts'
import { buildBinary } from '../helpers/binary.ts'
import { createTestDatabase, type TestDatabase } from '../helpers/pg.ts'
import { simControl } from '../helpers/sim-control.ts'
import { waitFor } from '../helpers/wait.ts'

/** Lease timings of the nodes: `--lease-ttl-ms`, `--lease-renew-ms`, `--lease-renew-deadline-ms`. */
export type Timings = { ttlMs: number; renewMs: number; deadlineMs: number }

/**
 * The nodes run the defaults of `serve` (README: TTL 10 s, renew every 2 s, renew deadline 6 s), so the test shows
 * the failover an operator gets. Shorter leases made nodes on a loaded two-core machine lose their leases to their
 * own stalls (an event loop held up for over a second while Baileys sets up sockets), which the 6 s deadline absorbs.
 */
export const TEST_TIMINGS: Timings = { ttlMs: 10_000, renewMs: 2_000, deadlineMs: 6_000 }

export type Node = {
  name: string
  url: string
  pid: number
  proc: Bun.Subprocess
  log: string
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<number>
}

export type Device = { id: number; state: string; logins: number; replaced: number }

type Api = <T = any>(node: Node, method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>

export type Cluster = Awaited<ReturnType<typeof startCluster>>

const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('WAGATE_'))) as Record<string, string>

async function readLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader()
  let text = ''
  while (!text.includes('\n')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`the simulator exited before printing its URLs: ${text}`)
    text += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  return text.slice(0, text.indexOf('\n'))
}

/**
 * `opts.database: 'sqlite'` runs the nodes without --database-url (one node then, on its own data dir): what the
 * benchmark compares PostgreSQL with.
 */
export async function startCluster(opts: { timings?: Timings; database?: 'postgres' | 'sqlite' } = {}) {
  const timings = opts.timings ?? TEST_TIMINGS
  const postgres = (opts.database ?? 'postgres') === 'postgres'
  const bin = buildBinary()
  const dir = mkdtempSync(join(tmpdir(), 'wagate-cluster-'))
  const dataDir = join(dir, 'data')
  mkdirSync(dataDir, { mode: 0o700 })
  const secretKey = randomBytes(32).toString('hex')
  const db: TestDatabase | null = postgres ? await createTestDatabase() : null
  const admin = db ? new SQL({ url: db.url, max: 2 }) : null
  // Migrated before any node starts, so the audit table and triggers can be installed whenever a test wants them.
  if (admin) await migratePg(admin)
  const children: Bun.Subprocess[] = []
  // Whatever ends this process (a failed beforeAll, an uncaught error), no node or simulator outlives it.
  const orphans = () => children.forEach((p) => p.exitCode === null && p.signalCode === null && p.kill('SIGKILL'))
  process.once('exit', orphans)

  const simProc = Bun.spawn([bin, 'simulator', '--port', '0', '--control-port', '0', '--log-level', 'warn'], {
    env: cleanEnv(),
    stdout: 'pipe',
    stderr: Bun.file(join(dir, 'simulator.log')),
  })
  children.push(simProc)
  const simInfo = JSON.parse(await readLine(simProc.stdout)) as {
    wsUrl: string
    controlUrl: string
    rootPublicKey: string
  }
  const simPort = Number(new URL(simInfo.wsUrl).port)
  const rawSim = simControl(simInfo.controlUrl)
  async function sim<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await rawSim<T>(method, path, body)
    if (r.status >= 300) throw new Error(`simulator ${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }

  let adminKey = ''
  const nodes = new Map<string, Node>()

  /** Starts `wagate serve` as node `name` and resolves once it listens (the first node prints the admin key). */
  /** The data dir of node `name`: the shared one on PostgreSQL, its own on SQLite. */
  const dataDirOf = (name: string) => (postgres ? dataDir : join(dir, `data-${name}`))

  async function startNode(name: string, extra: string[] = []): Promise<Node> {
    const log = join(dir, `node-${name}.log`)
    const args = [
      bin,
      'serve',
      '--data-dir',
      dataDirOf(name),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--log-level',
      'info',
      '--egress-allow',
      '127.0.0.0/8',
      ...extra,
    ]
    if (db)
      args.push(
        '--database-url',
        `${db.url}?application_name=wagate-${name}`,
        '--node-id',
        name,
        '--lease-ttl-ms',
        String(timings.ttlMs),
        '--lease-renew-ms',
        String(timings.renewMs),
        '--lease-renew-deadline-ms',
        String(timings.deadlineMs),
      )
    const proc = Bun.spawn(args, {
      cwd: dir,
      env: {
        ...cleanEnv(),
        WAGATE_WA_URL: simInfo.wsUrl,
        WAGATE_WA_ROOT_KEY: simInfo.rootPublicKey,
        WAGATE_SECRET_KEY: secretKey,
        // Tests and benchmarks call the API faster than a client would, and sends need no human pacing here.
        WAGATE_RATE_LIMIT: '0',
        WAGATE_SEND_MIN_GAP_MS: '0',
        WAGATE_SEND_JITTER_MS: '0',
        WAGATE_SEND_TYPING: 'false',
      },
      stdout: Bun.file(log),
      stderr: 'pipe',
    })
    children.push(proc)
    let stderr = ''
    void (async () => {
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) stderr += new TextDecoder().decode(chunk)
    })()
    const exited = proc.exited
    let ended = false
    void exited.then(() => (ended = true))
    const text = () => readFileSync(log, 'utf8')
    const url = await waitFor(
      `node ${name} listening`,
      () => {
        if (ended) throw new Error(`node ${name} exited (${proc.exitCode ?? proc.signalCode}):\n${text()}\n${stderr}`)
        return /"msg":"wagate listening"/.test(text()) ? /"url":"([^"]+)"/.exec(text())![1]! : null
      },
      30_000,
      50,
    )
    adminKey ||= /(wgk_[A-Za-z0-9_-]+)/.exec(text())?.[1] ?? ''
    const node: Node = { name, url, pid: proc.pid, proc, log, exited }
    nodes.set(name, node)
    return node
  }

  const api: Api = async (node, method, path, body) => {
    const res = await fetch(`${node.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    const text = await res.text()
    return { status: res.status, body: text ? JSON.parse(text) : null }
  }

  /** The node's /metrics series `name` as {labels → value}; `undefined` when it has none. */
  async function metric(node: Node, name: string): Promise<Array<{ labels: Record<string, string>; value: number }>> {
    const fams = parsePrometheusTextFormat(await (await fetch(`${node.url}/metrics`)).text())
    const f = fams.find((x) => x.name === name)
    return ((f?.metrics ?? []) as { labels?: Record<string, string>; value: string }[]).map((m) => ({
      labels: m.labels ?? {},
      value: Number(m.value),
    }))
  }
  /** A node's own cluster figure (wagate_cluster_*), e.g. `sessions_owned`, `leases_lost_total`. */
  const clusterFigure = async (node: Node, figure: string) =>
    (await metric(node, `wagate_cluster_${figure}`))[0]?.value ?? NaN

  /**
   * The TCP connections process `pid` has ESTABLISHED to the simulator's WebSocket port: its WhatsApp sockets, seen
   * by the kernel (a socket the gateway forgot but did not close still counts).
   */
  function socketsToSimulator(pid: number): number {
    const inodes = new Set<string>()
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
        if (m) inodes.add(m[1]!)
      } catch {} // closed meanwhile
    }
    let n = 0
    for (const table of ['tcp', 'tcp6'])
      for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
        const f = line.trim().split(/\s+/)
        if (f.length < 10) continue
        const port = parseInt(f[2]!.split(':')[1]!, 16)
        if (port === simPort && f[3] === '01' && inodes.has(f[9]!)) n++
      }
    return n
  }

  /** Links one session per phone through the API of the given nodes in turn: create + start, QR, scan, connected. */
  async function link(phones: string[], through: Node[], parallel = 6): Promise<Map<string, string>> {
    const byPhone = new Map<string, string>()
    let next = 0
    async function one(i: number) {
      const phone = phones[i]!
      const node = through[i % through.length]!
      await sim('POST', '/accounts', { phone, name: `Owner ${phone}` })
      const created = await api<{ id: string }>(node, 'POST', '/sessions', { name: phone, start: true })
      if (created.status !== 201) throw new Error(`create session: ${created.status} ${JSON.stringify(created.body)}`)
      const sid = created.body.id
      const qr = await waitFor(
        `the QR of ${phone}`,
        async () => {
          const r = await api<{ qr: string }>(node, 'GET', `/sessions/${sid}/qr`)
          return r.status === 200 ? r.body.qr : null
        },
        30_000,
        100,
      )
      await sim('POST', `/accounts/${phone}:scan`, { qr })
      await waitFor(
        `${phone} connected`,
        async () => (await api<{ status: string }>(node, 'GET', `/sessions/${sid}`)).body.status === 'connected',
        60_000,
        100,
      )
      byPhone.set(phone, sid)
    }
    await Promise.all(
      Array.from({ length: Math.min(parallel, phones.length) }, async () => {
        while (next < phones.length) await one(next++)
      }),
    )
    return byPhone
  }

  /** The simulator's view of each phone's linked device (the one a session logs in as). */
  async function devices(phones: string[]): Promise<Map<string, Device>> {
    const out = new Map<string, Device>()
    for (const p of phones) {
      const a = await sim<{ devices: Device[] }>('GET', `/accounts/${p}`)
      if (a.devices.length !== 1) throw new Error(`${p} has ${a.devices.length} linked devices`)
      out.set(p, a.devices[0]!)
    }
    return out
  }

  /** Which node holds each session's lease, and at which epoch (PostgreSQL only). */
  async function leases(): Promise<Map<string, { node: string | null; epoch: number }>> {
    const rows: { session_id: string; node_id: string | null; epoch: string }[] =
      await admin!`SELECT session_id, node_id, epoch FROM session_leases`
    return new Map(rows.map((r) => [r.session_id, { node: r.node_id, epoch: Number(r.epoch) }]))
  }

  /** A webhook receiver on 127.0.0.1: every POST recorded with its path, `webhook-id` and body; answers 204. */
  function receiver() {
    const seen: Array<{ path: string; eventId: string; type: string; data: any }> = []
    const server = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(req) {
        const body = (await req.json()) as { type: string; data: unknown }
        seen.push({
          path: new URL(req.url).pathname,
          eventId: req.headers.get('webhook-id') ?? '',
          type: body.type,
          data: body.data,
        })
        return new Response(null, { status: 204 })
      },
    })
    return { url: (path: string) => `http://127.0.0.1:${server.port}${path}`, seen, stop: () => server.stop(true) }
  }

  /**
   * Records, from now on, every row a node writes or deletes in a session's tables, with the lease holder of that
   * session at the moment of the write (in the writer's transaction). `violations()` lists the writes of a node for a
   * session whose lease it did not hold; `by(node)` counts a node's writes. The trigger sees only committed writes.
   */
  async function audit(tables: Record<string, string>) {
    await admin!.unsafe(`
      CREATE TABLE IF NOT EXISTS wagate_test_audit (
        at bigint NOT NULL, app text NOT NULL, tbl text NOT NULL, op text NOT NULL, session_id text, holder text);
      CREATE OR REPLACE FUNCTION wagate_test_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE sid text := to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> TG_ARGV[0];
      BEGIN
        INSERT INTO wagate_test_audit
        SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint, current_setting('application_name'),
               TG_TABLE_NAME, TG_OP, sid, (SELECT node_id FROM session_leases WHERE session_id = sid);
        RETURN NULL;
      END $$;`)
    for (const [table, column] of Object.entries(tables))
      await admin!.unsafe(`
        CREATE OR REPLACE TRIGGER wagate_test_audit AFTER INSERT OR UPDATE OR DELETE ON ${table}
        FOR EACH ROW WHEN (current_setting('application_name') LIKE 'wagate-%')
        EXECUTE FUNCTION wagate_test_audit('${column}')`)
    type Row = { at: string; app: string; tbl: string; op: string; session_id: string | null; holder: string | null }
    return {
      async violations(): Promise<Row[]> {
        return await admin!`
          SELECT * FROM wagate_test_audit
          WHERE session_id IS NOT NULL AND holder IS DISTINCT FROM substr(app, 8) ORDER BY at`
      },
      async by(node: string): Promise<number> {
        const [r]: { n: number }[] =
          await admin!`SELECT count(*)::int AS n FROM wagate_test_audit WHERE app = ${`wagate-${node}`}`
        return r!.n
      },
    }
  }

  return {
    dir,
    dataDirOf,
    db,
    /** A connection to the cluster's database, for what a test reads directly. */
    sql: admin,
    secretKey,
    timings,
    sim,
    simPort,
    simPid: simProc.pid,
    nodes,
    get adminKey() {
      return adminKey
    },
    startNode,
    api,
    metric,
    clusterFigure,
    socketsToSimulator,
    link,
    devices,
    leases,
    receiver,
    audit,
    /** Sends `signal` to a node (SIGKILL, SIGTERM, SIGSTOP, SIGCONT); a node that ends leaves `nodes`. */
    signal(node: Node, signal: 'SIGKILL' | 'SIGTERM' | 'SIGSTOP' | 'SIGCONT') {
      node.proc.kill(signal)
      if (signal === 'SIGKILL' || signal === 'SIGTERM') nodes.delete(node.name)
    },
    /** Ends every process this cluster started, drops its database and removes its files. */
    async stop() {
      process.off('exit', orphans)
      for (const p of children) {
        if (p.exitCode !== null || p.signalCode !== null) continue
        p.kill('SIGCONT')
        p.kill('SIGKILL')
        await p.exited
      }
      await admin?.close().catch(() => {})
      await db?.drop()
      if (!process.env.WAGATE_CLUSTER_KEEP) rmSync(dir, { recursive: true, force: true })
      else console.error(`cluster files kept in ${dir}`)
    },
  }
}
