// The API client of the dashboard: the bearer token from sessionStorage, errors turned into words,
// and the event stream read with fetch (EventSource cannot send the Authorization header).
const TOKEN = 'wagate.token'

export type Me = { orgId: string; kind: string; capabilities: string[] }
export type Event = { id: string; type: string; createdAt: number; sessionId: string | null; data: any }

export const token = {
  get: () => sessionStorage.getItem(TOKEN),
  set: (t: string) => sessionStorage.setItem(TOKEN, t),
  clear: () => sessionStorage.removeItem(TOKEN),
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

async function send(method: string, path: string, body?: unknown, accept = 'application/json') {
  const headers: Record<string, string> = { accept }
  const t = token.get()
  if (t) headers.authorization = `Bearer ${t}`
  // A FormData body goes as multipart (the browser sets its boundary); anything else as JSON.
  const multipart = body instanceof FormData
  if (body !== undefined && !multipart) headers['content-type'] = 'application/json'
  const payload = body === undefined ? {} : { body: multipart ? body : JSON.stringify(body) }
  let res: Response
  try {
    res = await fetch(path, { method, headers, ...payload })
  } catch {
    throw new ApiError(0, 'network', 'The gateway cannot be reached.')
  }
  if (res.ok) return res
  const e = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null
  const words = e?.error ? `${e.error.message} (${e.error.code}, HTTP ${res.status})` : `HTTP ${res.status}`
  throw new ApiError(res.status, e?.error?.code ?? 'http', words)
}

export const api = {
  async json<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await send(method, `/api/v1${path}`, body)
    return res.status === 204 ? (null as T) : ((await res.json()) as T)
  },
  get: <T = any>(path: string) => api.json<T>('GET', path),
  post: <T = any>(path: string, body?: unknown) => api.json<T>('POST', path, body),
  patch: <T = any>(path: string, body: unknown) => api.json<T>('PATCH', path, body),
  del: (path: string) => api.json('DELETE', path),
  async blob(path: string, accept: string) {
    return (await send('GET', `/api/v1${path}`, undefined, accept)).blob()
  },
  /** Bytes the API serves at an absolute path (`/api/v1/…`, as a message's media.url), with the auth header. */
  async fetchBlob(absolutePath: string) {
    return (await send('GET', absolutePath, undefined, '*/*')).blob()
  },
  async probe(path: string) {
    return send('GET', path)
      .then((r) => r.json())
      .catch((e: unknown) => ({ error: e }))
  },
}

export const esc = encodeURIComponent

type Listener = (e: Event) => void
const listeners = new Set<Listener>()
let controller: AbortController | null = null

/** Subscribes to the live event stream (opened once, shared, reconnecting with Last-Event-ID). */
export function onEvent(fn: Listener) {
  listeners.add(fn)
  return () => listeners.delete(fn)
}

export function startStream(onState: (live: boolean) => void) {
  stopStream()
  const ctrl = new AbortController()
  controller = ctrl
  let lastId: string | null = null
  const run = async () => {
    while (!ctrl.signal.aborted) {
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${token.get()}`, accept: 'text/event-stream' }
        if (lastId) headers['last-event-id'] = lastId
        const res = await fetch('/api/v1/events/stream', { headers, signal: ctrl.signal })
        if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`)
        onState(true)
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += value
          let i: number
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const frame = buf.slice(0, i)
            buf = buf.slice(i + 2)
            const data = frame
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trimStart())
              .join('\n')
            if (!data) continue
            const ev = JSON.parse(data) as Event
            lastId = ev.id
            for (const l of listeners) l(ev)
          }
        }
      } catch {
        if (ctrl.signal.aborted) return
      }
      onState(false)
      await new Promise((r) => setTimeout(r, 2000))
    }
  }
  void run()
}

export function stopStream() {
  controller?.abort()
  controller = null
}
