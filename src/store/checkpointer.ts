// WAL checkpoints off the hot path. With SQLite's automatic checkpoint, the commit that crosses the threshold
// copies the WAL back into the database and fsyncs, inside an ingest transaction: on this machine that tripled
// the cost of a one-message commit (79 µs against 32 µs without; see scripts/bench/ingest.ts). The server turns
// the automatic checkpoint off and runs this worker, which checkpoints from its own connection (PASSIVE: it
// never blocks the writer) every `intervalMs`, so a page written many times between checkpoints is copied once.
//
// PASSIVE alone lets the WAL grow without bound under steady writes: SQLite rewinds the WAL only when a write
// begins while every frame is already checkpointed, and a commit always lands while a PASSIVE copy runs. The soak
// (scripts/bench/soak.ts) saw 300 MB of WAL after two minutes. So once the WAL holds `restartFrames` frames, one
// RESTART checkpoint waits for the writer and the readers, copies what the last PASSIVE left (one interval's
// worth) and makes the next commit write from the start of the file again.
declare const self: Worker

export type CheckpointerStart = { path: string; intervalMs: number; restartFrames: number }

self.onmessage = (e: MessageEvent<CheckpointerStart | 'stop'>) => {
  if (e.data === 'stop') return void close()
  start(e.data)
}

let timer: ReturnType<typeof setInterval> | null = null
let db: import('bun:sqlite').Database | null = null

async function start({ path, intervalMs, restartFrames }: CheckpointerStart) {
  const { Database } = await import('bun:sqlite')
  const conn = new Database(path)
  db = conn
  conn.run('PRAGMA busy_timeout = 5000')
  const passive = conn.query<{ log: number }, []>('PRAGMA wal_checkpoint(PASSIVE)')
  const restart = conn.query('PRAGMA wal_checkpoint(RESTART)')
  timer = setInterval(() => {
    try {
      if (passive.get()!.log >= restartFrames) restart.run()
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
