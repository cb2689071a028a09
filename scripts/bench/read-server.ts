// Child process of read.ts: serves either the real app or the raw-SQLite ceiling over one database.
//   bun scripts/bench/read-server.ts <db> app|raw <cursorKeyHex>
import { Database } from 'bun:sqlite'
import { createApp } from '../../src/app.ts'
import { createAuthenticator } from '../../src/auth/authenticator.ts'
import { createLogger } from '../../src/log.ts'
import { createEgress } from '../../src/media/egress.ts'
import { createSupervisor } from '../../src/sessions/supervisor.ts'
import { openDb } from '../../src/store/db.ts'
import { createStores } from '../../src/store/index.ts'

const [path, mode, keyHex] = process.argv.slice(2) as [string, 'app' | 'raw', string]

if (mode === 'raw') {
  // The ceiling: one prepared statement, rows serialised as they come, no framework, no auth, no mapping.
  const sqlite = new Database(path, { readonly: true, strict: true })
  const stmt = sqlite.query(
    `SELECT id, session_id, jid, type, name, unread_count, archived, pinned_at, muted_until, last_message_at
     FROM chats WHERE session_id = ? AND (pinned_at, last_message_at, id) < (?, ?, ?)
     ORDER BY pinned_at DESC, last_message_at DESC, id DESC LIMIT 51`,
  )
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch(req) {
      const q = new URL(req.url).searchParams
      const [p, l, id] = (q.get('after') ?? '').split(',').map(Number) as [number, number, number]
      return Response.json({ data: stmt.all(q.get('sid'), p, l, id) })
    },
  })
  console.log(JSON.stringify({ port: server.port }))
} else {
  const db = openDb(path)
  const stores = createStores(db, Buffer.from(keyHex, 'hex'))
  const logger = createLogger('silent')
  const engine = createSupervisor({ db, events: stores.events, logger, secretKey: Buffer.alloc(32, 7) })
  const authenticate = createAuthenticator({
    apiKeys: stores.apiKeys,
    orgs: stores.orgs,
    jwt: { orgClaim: 'org_id', roleClaim: 'role', roleCapabilities: {} },
  })
  const app = createApp({
    stores,
    engine,
    authenticate,
    logger,
    version: 'bench',
    maxBodyBytes: 1 << 20,
    docs: false,
    egress: createEgress(),
  })
  app.listen({ hostname: '127.0.0.1', port: 0 })
  console.log(JSON.stringify({ port: app.server!.port }))
}
