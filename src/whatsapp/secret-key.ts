// The 32-byte key that encrypts auth state at rest: from config, else a 0600 file in the data dir.
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FILE = 'secret.key'

/** Parses a configured key: 64 hex chars or base64 of 32 bytes. */
export function parseSecretKey(value: string): Buffer {
  const v = value.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64')
  if (key.length !== 32) throw new Error('secret key must be 32 bytes (64 hex chars or base64)')
  return key
}

/**
 * Returns the configured key, or the one stored in `<dataDir>/secret.key`, creating that file
 * once with mode 0600 (exclusive create, so two processes starting together agree on one key).
 */
export function loadSecretKey(opts: { configured?: string | undefined; dataDir: string }): Buffer {
  if (opts.configured) return parseSecretKey(opts.configured)
  const path = join(opts.dataDir, FILE)
  if (!existsSync(path)) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    try {
      writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
  }
  // An existing file with wider permissions is tightened rather than trusted as is.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
  return parseSecretKey(readFileSync(path, 'utf8'))
}
