// Child process of read.ts: serves either the real app or the raw-SQLite ceiling over one database.
//   bun scripts/bench/read-server.ts <db> app|raw <cursorKeyHex>
// The raw server answers the same three listings with the same JSON, byte for byte (read.ts checks it): the same
// SQL through one prepared statement (chats with their display name and LID resolved per row, as the API serves
// them), the same row mapping, the same signed nextCursor, and nothing else: no framework, no authentication, no
// ownership check, no cursor verification (it takes the keyset values plainly). Its connection has the store's page
// cache (pageCachePragma), so both sides read the same way.
import { Database } from 'bun:sqlite'
import { createApp } from '../../src/app.ts'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import { loadConfig } from '../../src/config.ts'
import { createLogger } from '../../src/log.ts'
import { createEgress } from '../../src/media/egress.ts'
import { createMetrics } from '../../src/metrics/registry.ts'
import { sqliteEngineStore } from '../../src/sessions/engine-store.ts'
import { createSupervisor } from '../../src/sessions/supervisor.ts'
import { chatFromRow, chatViewColumns, type ChatRow } from '../../src/store/chats.ts'
import { createCursorCodec, cursorKeyOf } from '../../src/store/cursor.ts'
import { listenOptions } from '../../src/server.ts'
import { openDb, pageCachePragma, planOnce } from '../../src/store/db.ts'
import { createStoreGauges } from '../../src/store/gauges.ts'
import { createStores, sqliteRepos } from '../../src/store/index.ts'
import { messageColumns, messageFromRow, type MessageRow } from '../../src/store/messages.ts'

const LIMIT = 50

/** The raw ceiling's request handler. */
export function rawFetch(path: string, keyHex: string): (req: Request) => Response {
  const sqlite = new Database(path, { readonly: true })
  sqlite.run(pageCachePragma()) // as the store's connection reads
  const codec = createCursorCodec(cursorKeyOf(Buffer.from(keyHex, 'hex')))
  // The very statements the store prepares: planOnce writes their parameters as openDb's connection does.
  const chats = sqlite.query<ChatRow, [string, number, number, number, number]>(
    planOnce(`SELECT ${chatViewColumns} FROM chats c WHERE session_id = ? AND (pinned_at, last_message_at, id) < (?, ?, ?)
     ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT ?`),
  )
  const messages = sqlite.query<MessageRow, [string, string, number, number, number]>(
    planOnce(`SELECT ${messageColumns} FROM messages WHERE session_id = ? AND chat_jid = ? AND (timestamp, pk) < (?, ?)
     ORDER BY timestamp DESC, pk DESC LIMIT ?`),
  )
  const page = <R, T>(rows: R[], listing: string, key: (r: R) => number[], map: (r: R) => T) => {
    const more = rows.length > LIMIT
    const served = more ? rows.slice(0, LIMIT) : rows
    return Response.json({
      data: served.map(map),
      nextCursor: more ? codec.encode(listing, key(served[LIMIT - 1]!)) : null,
    })
  }
  return (req) => {
    // /chats?sid&after=p,l,id or /messages?sid&chat&after=ts,pk; "after" absent = the first page.
    const url = new URL(req.url)
    const q = url.searchParams
    const sid = q.get('sid')!
    const after = q.get('after')?.split(',').map(Number) ?? [Number.MAX_SAFE_INTEGER, 0, 0]
    if (url.pathname === '/chats')
      return page(
        chats.all(sid, after[0]!, after[1]!, after[2]!, LIMIT + 1),
        `chats:${sid}`,
        (r) => [r.pinned_at, r.last_message_at, r.id],
        chatFromRow,
      )
    const chat = q.get('chat')!
    return page(
      messages.all(sid, chat, after[0]!, after[1]!, LIMIT + 1),
      `messages:${sid}:${chat}`,
      (r) => [r.timestamp, r.pk],
      messageFromRow,
    )
  }
}

export function benchApp(path: string, keyHex: string) {
  // The app as `wagate serve` builds it (metrics, the rate limiter with a budget this load never exhausts).
  const db = openDb(path)
  const stores = createStores(db, Buffer.from(keyHex, 'hex'))
  const logger = createLogger('info')
  const engine = createSupervisor({
    store: sqliteEngineStore(db, stores.events),
    logger,
    secretKey: Buffer.alloc(32, 7),
  })
  const repos = sqliteRepos(stores)
  const authenticate = createAuthenticator({
    apiKeys: repos.apiKeys,
    orgs: repos.orgs,
    jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
  })
  const metrics = createMetrics({ gauges: createStoreGauges(db), sseClients: () => 0 })
  const app = createApp({
    repos,
    engine,
    authenticate,
    logger,
    version: 'bench',
    maxBodyBytes: 1 << 20,
    docs: false,
    egress: createEgress(),
    limits: { ratePerSecond: 1e9, burst: 1e9, streamsPerOrg: 20, webhooksPerOrg: 50 },
    metrics: { metrics },
  })
  return app
}

if (import.meta.main) {
  const [path, mode, keyHex] = process.argv.slice(2) as [string, 'app' | 'raw', string]
  // A clean exit on SIGTERM, so `bun --cpu-prof` writes its profile.
  process.on('SIGTERM', () => process.exit(0))
  let port: number | undefined
  if (mode === 'raw')
    port = Bun.serve({ hostname: '127.0.0.1', port: 0, development: false, fetch: rawFetch(path, keyHex) }).port
  // Listening as `wagate serve` does (no port sharing, Bun's development mode off).
  else port = benchApp(path, keyHex).listen(listenOptions(loadConfig({ port: '0' }, {}))).server!.port
  console.log(JSON.stringify({ port }))
}
