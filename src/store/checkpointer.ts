// WAL checkpoints off the hot path. With SQLite's automatic checkpoint, the commit that crosses the threshold
// copies the WAL back into the database and fsyncs, inside an ingest transaction: on this machine that tripled
// the cost of a one-message commit (79 µs against 32 µs without; see scripts/bench/ingest.ts). The server turns
// the automatic checkpoint off and runs this worker, which checkpoints from its own connection (PASSIVE: it
// never blocks the writer) every `intervalMs`, so a page written many times between checkpoints is copied once.
declare const self: Worker

self.onmessage = (e: MessageEvent<{ path: string; intervalMs: number } | 'stop'>) => {
  if (e.data === 'stop') return void close()
  start(e.data.path, e.data.intervalMs)
}

let timer: ReturnType<typeof setInterval> | null = null
let db: import('bun:sqlite').Database | null = null

async function start(path: string, intervalMs: number) {
  const { Database } = await import('bun:sqlite')
  db = new Database(path)
  db.run('PRAGMA busy_timeout = 5000')
  timer = setInterval(() => {
    try {
      db?.run('PRAGMA wal_checkpoint(PASSIVE)')
    } catch (err) {
      postMessage({ error: (err as Error).message })
    }
  }, intervalMs)
  postMessage({ started: true })
}

function close() {
  if (timer) clearInterval(timer)
  db?.close()
  db = null
  postMessage({ stopped: true })
}
