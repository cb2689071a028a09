// Read path benchmark: GET …/chats?limit=50 walking cursors over 100k chats (1M messages in the db),
// against the same page served by a minimal route running one raw prepared bun:sqlite statement.
//   bun scripts/bench/read.ts [--chats 100000] [--messages 1000000] [--connections 50] [--seconds 10]
// Load comes from wrk when installed (`apt-get install wrk`: a separate C process, the least load-generator
// noise on a 2-core box), else from autocannon (an npm devDependency) in this process. The servers run as
// child processes, one per variant.
import autocannon from 'autocannon'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createKey } from '../../src/bootstrap.ts'
import { openDb } from '../../src/store/db.ts'
import { createStores } from '../../src/store/index.ts'

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const nChats = arg('chats', 100_000)
const nMessages = arg('messages', 1_000_000)
const connections = arg('connections', 50)
const seconds = arg('seconds', 10)

const dir = mkdtempSync(join(tmpdir(), 'wagate-bench-read-'))
const path = join(dir, 'bench.db')
const cursorKey = randomBytes(32)

function seed() {
  const db = openDb(path)
  const stores = createStores(db, cursorKey)
  stores.orgs.create('bench')
  const sid = stores.sessions.create({ orgId: 'bench', name: 'bench' }).id
  const key = createKey(stores, { orgId: 'bench', name: 'bench', capabilities: ['read'] }).key
  const chat = db.sqlite.query(
    `INSERT INTO chats (session_id, jid, type, name, unread_count, pinned_at, last_message_at) VALUES (?, ?, 'dm', ?, ?, ?, ?)`,
  )
  const msg = db.sqlite.query(
    `INSERT INTO messages (session_id, chat_jid, wa_id, from_me, sender_jid, type, body, status, ack_level, timestamp)
     VALUES (?, ?, ?, 0, ?, 'text', ?, 'delivered', 3, ?)`,
  )
  const perChat = Math.ceil(nMessages / nChats)
  let written = 0
  db.sqlite.transaction(() => {
    for (let i = 0; i < nChats; i++) {
      const jid = `${62_800_000_000 + i}@s.whatsapp.net`
      const at = 1_700_000_000_000 + ((i * 7919) % 1_000_000) * 1000
      chat.run(sid, jid, `Chat ${i}`, i % 5, i % 1000 === 0 ? at : 0, at)
      for (let m = 0; m < perChat && written < nMessages; m++, written++)
        msg.run(
          sid,
          jid,
          `3EB0${written.toString(16).padStart(16, '0')}`,
          jid,
          `message ${written} body text`,
          at - m * 1000,
        )
    }
  })()
  db.sqlite.run('PRAGMA wal_checkpoint(TRUNCATE)')
  db.sqlite.run('ANALYZE')
  db.close()
  return { sid, key }
}

async function serve(mode: 'app' | 'raw') {
  const proc = Bun.spawn(
    [process.execPath, join(import.meta.dir, 'read-server.ts'), path, mode, cursorKey.toString('hex')],
    {
      stdout: 'pipe',
      stderr: 'inherit',
    },
  )
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const { value } = await reader.read()
  const { port } = JSON.parse(new TextDecoder().decode(value)) as { port: number }
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.kill() }
}

type Result = { rps: number; p50: number; p99: number; errors: number; non2xx: number }

const wrk = Bun.which('wrk')

/** wrk with a Lua script cycling through the paths; its report is parsed from a JSON line the script prints. */
type Opts = { connections: number; seconds: number }

async function loadWrk(url: string, paths: string[], headers: Record<string, string>, o: Opts): Promise<Result> {
  const script = join(dir, `paths-${Math.random().toString(36).slice(2)}.lua`)
  const list = paths.map((p) => JSON.stringify(p)).join(',\n')
  const hdrs = Object.entries(headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join('\n')
  writeFileSync(
    script,
    `local paths = {${list}}\nlocal i = 0\n${hdrs}\n` +
      `request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end\n` +
      `done = function(s, l, r) io.write(string.format('{"requests":%d,"duration":%d,"p50":%f,"p99":%f,"errors":%d,"non2xx":%d}\\n', ` +
      `s.requests, s.duration, l:percentile(50)/1000, l:percentile(99)/1000, s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout, s.errors.status)) end\n`,
  )
  const proc = Bun.spawnSync([wrk!, '-t1', `-c${o.connections}`, `-d${o.seconds}s`, '-s', script, url], {
    stdout: 'pipe',
  })
  const line = proc.stdout.toString().trim().split('\n').pop()!
  const r = JSON.parse(line) as {
    requests: number
    duration: number
    p50: number
    p99: number
    errors: number
    non2xx: number
  }
  return { rps: r.requests / (r.duration / 1e6), p50: r.p50, p99: r.p99, errors: r.errors, non2xx: r.non2xx }
}

async function load(
  url: string,
  paths: string[],
  headers: Record<string, string>,
  o: Opts = { connections, seconds },
): Promise<Result> {
  if (wrk) return loadWrk(url, paths, headers, o)
  let i = 0
  const r = await autocannon({
    url,
    connections: o.connections,
    duration: o.seconds,
    headers,
    requests: [{ setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length]! }) }],
  })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx }
}

const t0 = performance.now()
console.error(`seeding ${nChats} chats and ${nMessages} messages …`)
const { sid, key } = seed()
console.error(`seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

const app = await serve('app')
const raw = await serve('raw')
try {
  // Walk the whole listing once through the API to collect every page's cursor and keyset position.
  const appPaths: string[] = [`/api/v1/sessions/${sid}/chats?limit=50`]
  const rawPaths: string[] = [`/?sid=${sid}&after=${Number.MAX_SAFE_INTEGER},0,0`]
  let cursor: string | null = null
  do {
    const res = await fetch(`${app.url}/api/v1/sessions/${sid}/chats?limit=50${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { authorization: `Bearer ${key}` },
    })
    const body = (await res.json()) as { nextCursor: string | null }
    cursor = body.nextCursor
    if (cursor) {
      appPaths.push(`/api/v1/sessions/${sid}/chats?limit=50&cursor=${cursor}`)
      const [p, l, id] = JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString()) as number[]
      rawPaths.push(`/?sid=${sid}&after=${p},${l},${id}`)
    }
  } while (cursor)
  console.error(`walked ${appPaths.length} pages; loading each server for ${seconds} s at ${connections} connections …`)

  // Warm both (JIT, page cache) before measuring, so neither pays for going first.
  const warm = { connections, seconds: 2 }
  await load(raw.url, rawPaths, {}, warm)
  await load(app.url, appPaths, { authorization: `Bearer ${key}` }, warm)
  const ceiling = await load(raw.url, rawPaths, {})
  const ours = await load(app.url, appPaths, { authorization: `Bearer ${key}` })
  const ratio = ours.rps / ceiling.rps
  const row = (name: string, r: Result) =>
    `| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} |`
  console.log(
    `\nRead path: ${nChats} chats, ${nMessages} messages, limit=50, ${connections} connections, ${seconds} s\n`,
  )
  console.log('| server | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|')
  console.log(row('raw bun:sqlite ceiling', ceiling))
  console.log(row('wagate GET …/chats', ours))
  console.log(`\nratio ${ratio.toFixed(2)} of the ceiling (target ≥ 0.90); p99 ${ours.p99} ms (target < 15 ms)`)
} finally {
  app.stop()
  raw.stop()
  rmSync(dir, { recursive: true, force: true })
}
