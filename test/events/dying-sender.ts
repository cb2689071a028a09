// A webhook sender thread for the test of a lost thread: the first one started in this process (no marker file yet)
// ends itself when it is handed its first jobs, without sending them; every later one is the real sender-worker.ts.
// The marker is named after the process id, which the test (dispatcher.test.ts) and its worker threads share.
import { existsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import '../../src/events/sender-worker.ts'

declare const self: Worker

const marker = join(tmpdir(), `wagate-dying-sender-${process.pid}`)
if (!existsSync(marker)) {
  writeFileSync(marker, '')
  self.onmessage = (e: MessageEvent<{ op: string }>) => {
    if (e.data.op === 'send') process.exit(1)
  }
}
