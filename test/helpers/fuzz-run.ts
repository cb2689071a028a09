// Sends fuzz requests to a running gateway one by one and checks the contract after each: no 5xx, every
// error in the envelope, and no stored data changed by a rejected request.
import { Database } from 'bun:sqlite'
import { retryAfterViolation } from './fuzz-limits.ts'
import { contractViolation, fuzzRequests, type FuzzContext } from './fuzz-requests.ts'

export type FuzzReport = { sent: number; byStatus: Record<number, number>; violations: string[] }

/**
 * A digest of everything a request could change. Left out: bookkeeping that background work writes on its
 * own: api_keys.last_used_at on reads, the webhook dispatcher's deliveries and high-water mark, and the
 * supervisor's session status and its events.
 */
function digest(db: Database): Record<string, number> {
  const parts: Record<string, string> = {
    api_keys: 'SELECT id, org_id, name, prefix, hash, capabilities, expires_at, revoked_at FROM api_keys',
    // The supervisor's own writes (a session started earlier keeps retrying its connection) are not the request's.
    sessions: 'SELECT id, org_id, name, metadata, created_at FROM sessions',
    events: "SELECT id, type, data FROM events WHERE type NOT LIKE 'session.%'",
    webhooks:
      'SELECT id, org_id, url, events, session_ids, enabled, description, secret, previous_secret FROM webhooks',
  }
  const tables = db
    .query<{ name: string }, []>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
    .all()
  for (const { name } of tables)
    if (!(name in parts) && name !== 'webhook_deliveries') parts[name] = `SELECT * FROM "${name}"`
  const out: Record<string, number> = {}
  for (const [name, sql] of Object.entries(parts))
    out[name] = Number(Bun.hash(JSON.stringify(db.query(sql).all())) & 0xffffffffn)
  return out
}

const changed = (a: Record<string, number>, b: Record<string, number>) =>
  Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k])

export async function runFuzz(opts: {
  url: string
  dbPath: string
  ctx: FuzzContext
  seed: number
  count: number
  progress?: (done: number) => void
}): Promise<FuzzReport> {
  const db = new Database(opts.dbPath, { readonly: true })
  const report: FuzzReport = { sent: 0, byStatus: {}, violations: [] }
  let before = digest(db)
  try {
    for (const r of fuzzRequests(opts.ctx, opts.seed, opts.count)) {
      let res: Response
      try {
        res = await fetch(opts.url + r.path, {
          method: r.method,
          headers: r.headers,
          body: r.body ?? null,
          signal: AbortSignal.timeout(10_000),
        })
      } catch (e) {
        // The client refused to build the request (e.g. an invalid header): nothing reached the server.
        if (e instanceof TypeError && !/connect|socket|closed/i.test(e.message)) continue
        report.violations.push(`${r.method} ${r.path.slice(0, 120)}: connection failed (${(e as Error).message})`)
        break
      }
      // A live event stream never ends: its status and headers are the answer.
      const streaming = res.headers.get('content-type')?.startsWith('text/event-stream') ?? false
      const text = streaming ? (await res.body?.cancel(), '') : await res.text()
      report.sent++
      report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1
      const broken =
        r.method === 'HEAD'
          ? res.status >= 500
            ? `status ${res.status}`
            : null
          : (contractViolation(res.status, res.headers.get('content-type'), text) ??
            retryAfterViolation(res.status, res.headers.get('retry-after')))
      if (broken) report.violations.push(`${r.method} ${r.path.slice(0, 120)} → ${res.status}: ${broken}`)
      const after = digest(db)
      const diff = changed(before, after)
      if (res.status >= 400 && diff.length)
        report.violations.push(`${r.method} ${r.path.slice(0, 120)} → ${res.status} changed ${diff.join(', ')}`)
      before = after
      if (report.sent % 500 === 0) opts.progress?.(report.sent)
    }
  } finally {
    db.close()
  }
  return report
}

/** Sets up what the fuzzer needs on a fresh gateway: a session, a read-only key, a real cursor. */
export async function fuzzContext(url: string, adminKey: string, maxBodyBytes: number): Promise<FuzzContext> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    return (await res.json()) as Record<string, any>
  }
  const sid = (await call('POST', '/api/v1/sessions', { name: 'fuzz' })).id as string
  await call('POST', '/api/v1/sessions', { name: 'fuzz 2' })
  const readKey = (await call('POST', '/api/v1/api-keys', { name: 'fuzz', capabilities: ['read'] })).key as string
  const cursor = (await call('GET', '/api/v1/sessions?limit=1')).nextCursor as string
  return { sid, adminKey, readKey, cursor, maxBodyBytes }
}
