// Child process of test/e2e/decrypt-sigkill.test.ts: one socket on a linked session's database whose receipt hook
// SIGKILLs the process, i.e. after Baileys decrypted the message (and made its Signal key writes) and before
// anything was committed. Prints `open` once connected.
//   bun test/helpers/decrypt-kill-child.ts <db path> <session id> <secret key hex> <ws url> <root key base64>
import { createSealer } from '../../src/domain/sealer.ts'
import { createLogger } from '../../src/log.ts'
import { createAuthStateSql } from '../../src/store/auth-state-sql.ts'
import { openDb } from '../../src/store/db.ts'
import { createSessionAuth } from '../../src/whatsapp/auth-state.ts'
import { applyProcessPatches, trustRoot } from '../../src/whatsapp/process-patches.ts'
import { createRetryCache, openSocket } from '../../src/whatsapp/socket.ts'

const [dbPath, sessionId, secretHex, waUrl, rootKey] = process.argv.slice(2) as [string, string, string, string, string]
const logger = createLogger('silent')
applyProcessPatches(logger)
trustRoot(Buffer.from(rootKey, 'base64'))
const db = openDb(dbPath)
const auth = createSessionAuth({
  sessionId,
  sql: createAuthStateSql(db),
  sealer: createSealer(Buffer.from(secretHex, 'hex')),
  logger,
})
openSocket({
  auth: await auth.forSocket(() => true),
  isCurrent: () => true,
  logger,
  waUrl,
  retryCache: createRetryCache(),
  handlers: {
    batch: () => {},
    received: () => void process.kill(process.pid, 'SIGKILL'),
    qr: () => {},
    open: () => console.log('open'),
    close: () => {},
    frame: () => {},
    storedText: () => null,
    cachedGroup: () => null,
  },
})
