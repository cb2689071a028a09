// The live stream hub: one Server-Sent Events stream per client, fed from the outbox (never from memory),
// so a client resumes from any event id without gaps. Each client has a bounded buffer: a client that
// falls behind is paced from the outbox, one that stops reading is disconnected; ingest waits for no one.
import type { EventRepo } from '../store/contract.ts'
import type { EventFilter, StoredEvent } from '../store/events.ts'

export type SseOptions = {
  /** Comment frame interval; proxies and clients see the connection alive. Default 15 s. */
  heartbeatMs?: number
  /** Bytes queued per client; past it the client is fed from the outbox as it drains. Default 1 MiB. */
  bufferBytes?: number
}

export type SseHub = ReturnType<typeof createSseHub>

const CHUNK = 200
const encoder = new TextEncoder()

/** `id:` is the event id (what the browser sends back as Last-Event-ID); `data:` the envelope. */
const frame = (e: StoredEvent) =>
  `id: ${e.id}\ndata: ${JSON.stringify({ id: e.id, type: e.type, createdAt: e.createdAt, orgId: e.orgId, sessionId: e.sessionId, data: e.data })}\n\n`

export function createSseHub(events: Pick<EventRepo, 'scan' | 'onCommitted'>, opts: SseOptions = {}) {
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const bufferBytes = opts.bufferBytes ?? 1 << 20
  const clients = new Set<{ orgId: string; onCommit(): void; cut(): void }>()
  const unsubscribe = events.onCommitted(() => {
    for (const c of clients) c.onCommit()
  })

  return {
    /** Opens a stream of `orgId`'s events after `afterSeq` that pass `filter`. */
    open(orgId: string, afterSeq: number, filter: EventFilter): ReadableStream<Uint8Array> {
      let ctrl!: ReadableStreamDefaultController<Uint8Array>
      let lastSeq = afterSeq
      let live = false
      let closed = false
      let scheduled = false
      let pushing = false
      let again = false
      let lastPull = Date.now()
      let timer: ReturnType<typeof setInterval> | null = null

      const cleanup = () => {
        closed = true
        clients.delete(client)
        if (timer) clearInterval(timer)
      }
      /**
       * Sends what the outbox holds past lastSeq while the client's buffer has room; true when it caught up.
       * When the buffer is full the client is behind: it stays connected and pull() resumes from the outbox
       * once it drains the buffer.
       */
      const fill = async (): Promise<boolean> => {
        while (!closed && (ctrl.desiredSize ?? 0) > 0) {
          const r = await events.scan(orgId, lastSeq, filter, CHUNK)
          if (closed) return false
          lastSeq = r.lastSeq
          if (r.events.length) {
            try {
              ctrl.enqueue(encoder.encode(r.events.map(frame).join('')))
            } catch {
              cleanup()
              return false
            }
          }
          if (!r.more) return true
        }
        return false
      }
      /**
       * One loop at a time (enqueue() may call pull() synchronously, and a scan is awaited): a push asked for
       * while one runs makes it look again when it ends, so a commit landing during a scan is not missed.
       */
      const push = async () => {
        if (closed) return
        if (pushing) return void (again = true)
        pushing = true
        try {
          do {
            again = false
            live = await fill()
          } while (again && !closed)
        } catch {
          // The outbox cannot be read: drop the client, which reconnects with Last-Event-ID and misses nothing.
          client.cut()
        } finally {
          pushing = false
        }
      }
      const client = {
        orgId,
        // Live clients get new events at once; a client still catching up is paced by pull() instead.
        onCommit() {
          if (pushing) return void (again = true) // the running push may have scanned before this commit
          if (!live || scheduled || closed) return
          scheduled = true
          setImmediate(() => {
            scheduled = false
            void push()
          })
        },
        cut() {
          if (closed) return
          cleanup()
          try {
            // error() without a reason drops the connection at once (close() would wait for a drain that
            // never comes); with a reason Bun also prints it as an unhandled error.
            ctrl.error()
          } catch {}
        },
      }

      return new ReadableStream<Uint8Array>(
        {
          start(c) {
            ctrl = c
            clients.add(client)
            c.enqueue(encoder.encode('retry: 3000\n: connected\n\n'))
            timer = setInterval(() => {
              // A client whose buffer stayed full for two heartbeats has stopped reading.
              if ((ctrl.desiredSize ?? 0) <= 0 && Date.now() - lastPull > 2 * heartbeatMs) client.cut()
              else if (!closed) {
                // The stream can be closed underneath us (client gone, server stopping) before cancel() runs.
                try {
                  ctrl.enqueue(encoder.encode(': heartbeat\n\n'))
                } catch {
                  cleanup()
                }
              }
            }, heartbeatMs)
          },
          pull() {
            lastPull = Date.now()
            return push()
          },
          cancel: cleanup,
        },
        { highWaterMark: bufferBytes, size: (chunk) => chunk?.byteLength ?? 0 },
      )
    },
    /** Connected clients. */
    size: () => clients.size,
    /** Connected clients of one organisation. */
    count(orgId: string) {
      let n = 0
      for (const c of clients) if (c.orgId === orgId) n++
      return n
    },
    /** Disconnects everyone (shutdown). */
    close() {
      unsubscribe()
      for (const c of clients) c.cut()
    },
  }
}
