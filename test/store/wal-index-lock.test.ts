// SQLite tells the first process to open a WAL database's -shm file (the WAL index) by a read lock on its byte 128:
// while one is held, nobody else resets the file. POSIX drops every lock a process holds on a file when it closes any
// descriptor of that file, so code of ours that opened and closed the -shm file (an mmap of it did) took that lock
// away. The next process to open the database (`wagate keys`, a backup, sqlite3) then truncated the WAL index under
// the running gateway, which died of SIGBUS. `serve` must still hold the lock after it has answered requests.
import { afterAll, beforeAll, expect, it } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startGateway, type GatewayProcess } from '../helpers/gateway-process.ts'

let dir: string
let gw: GatewayProcess

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wagate-wal-index-lock-'))
  gw = await startGateway({ dataDir: dir })
})
afterAll(async () => {
  await gw.stop('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

/** The byte ranges `pid` holds locked on the file with inode `ino`, as /proc/locks lists them ("start-end"). */
function lockedRanges(pid: number, ino: number): string[] {
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[1] === 'POSIX' && f[4] === String(pid) && f[5]?.endsWith(`:${ino}`))
    .map((f) => `${f[6]}-${f[7]}`)
}

it('serve keeps SQLite’s lock on the WAL index after answering authenticated requests', async () => {
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${gw.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${gw.key}` } })
    expect(res.status).toBe(200)
  }
  const shm = statSync(join(dir, 'wagate.db-shm'))
  expect(lockedRanges(gw.proc.pid, shm.ino)).toContain('128-128')
})
