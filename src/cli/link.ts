// `wagate sessions link`: links a number from an SSH terminal. It talks to a running gateway over its public
// API (so it needs a `manage` key), draws each QR as text as soon as the gateway has a new one, and exits 0
// once the session is connected — or 1 when it ends logged out, failed, or the time runs out.
import QRCode from 'qrcode'

type Session = { id: string; name: string; status: string; phone: string | null; lastError?: string | null }
type Qr = { qr: string; expiresAt: number }

export type LinkOptions = {
  url: string
  key: string
  name: string
  timeoutMs: number
  pollMs?: number
  out?: (s: string) => void
  now?: () => number
}

export class LinkError extends Error {
  override name = 'LinkError'
}

function client(url: string, key: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    let res: Response
    try {
      res = await fetch(`${url.replace(/\/$/, '')}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      })
    } catch (e) {
      throw new LinkError(`cannot reach the gateway at ${url}: ${(e as Error).message}`)
    }
    const json = (await res.json().catch(() => null)) as T & { error?: { code: string; message: string } }
    if (res.status === 401 || res.status === 403)
      throw new LinkError(`the gateway refused the key (${json?.error?.message ?? res.status}); it needs 'manage'`)
    return { status: res.status, body: json }
  }
}

/** Finds the organisation's session called `name` (walking every page), or creates it. */
async function findOrCreate(call: ReturnType<typeof client>, name: string): Promise<Session> {
  let cursor: string | null = null
  do {
    const page: { status: number; body: { data: Session[]; nextCursor: string | null } } = await call(
      'GET',
      `/sessions?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    const found = page.body.data.find((s) => s.name === name)
    if (found) return found
    cursor = page.body.nextCursor
  } while (cursor)
  const created = await call<Session>('POST', '/sessions', { name })
  if (created.status !== 201) throw new LinkError(`cannot create session '${name}': ${JSON.stringify(created.body)}`)
  return created.body
}

const ended = new Set(['logged_out', 'failed'])

/** Links the session called `name`; resolves with the connected session. */
export async function linkSession(opts: LinkOptions): Promise<Session> {
  const out = opts.out ?? ((s: string) => process.stdout.write(s))
  const now = opts.now ?? Date.now
  const call = client(opts.url, opts.key)
  let session = await findOrCreate(call, opts.name)
  if (session.status === 'connected') {
    out(`session '${opts.name}' (${session.id}) is already connected as +${session.phone}\n`)
    return session
  }
  if (session.status === 'stopped' || ended.has(session.status)) {
    const started = await call<Session>('POST', `/sessions/${session.id}:start`)
    if (started.status !== 200) throw new LinkError(`cannot start the session: ${JSON.stringify(started.body)}`)
    session = started.body
  }
  out(`session '${opts.name}' (${session.id}): waiting for a QR…\n`)
  const deadline = now() + opts.timeoutMs
  let shown = ''
  while (now() < deadline) {
    session = (await call<Session>('GET', `/sessions/${session.id}`)).body
    if (session.status === 'connected') {
      out(`\nconnected as +${session.phone}\n`)
      return session
    }
    if (ended.has(session.status))
      throw new LinkError(`the session ended ${session.status}${session.lastError ? `: ${session.lastError}` : ''}`)
    const qr = await call<Qr>('GET', `/sessions/${session.id}/qr`)
    if (qr.status === 200 && qr.body.qr !== shown) {
      shown = qr.body.qr
      const art = await QRCode.toString(shown, { type: 'terminal', small: true })
      const seconds = Math.max(0, Math.round((qr.body.expiresAt - now()) / 1000))
      // Clear the screen so a refreshed QR replaces the old one instead of scrolling below it.
      out(`\x1b[2J\x1b[H${art}\nScan with WhatsApp → Linked devices → Link a device (valid ~${seconds} s)\n`)
    }
    await Bun.sleep(opts.pollMs ?? 1000)
  }
  throw new LinkError(`not connected after ${Math.round(opts.timeoutMs / 1000)} s; run the command again`)
}
