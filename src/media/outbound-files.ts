// A minimal content-addressed file store for media to send (domain/media-files.ts), in <dataDir>/media.
// Files are streamed to a temp file while hashed, then renamed to their SHA-256: one copy per content.
import { createHash, randomBytes } from 'node:crypto'
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { MediaFiles } from '../domain/media-files.ts'
import { AppError } from '../errors.ts'

const HEAD_BYTES = 4100

export function createOutboundFiles(dataDir: string): MediaFiles {
  const root = join(dataDir, 'media')
  const tmp = join(root, 'tmp')
  mkdirSync(tmp, { recursive: true, mode: 0o700 })
  const fileOf = (sha256: string) => join(root, sha256.slice(0, 2), sha256)

  return {
    async put(source, maxBytes) {
      const temp = join(tmp, randomBytes(12).toString('hex'))
      const out = createWriteStream(temp, { mode: 0o600 })
      const hash = createHash('sha256')
      const head: Uint8Array[] = []
      let size = 0
      let headSize = 0
      try {
        for await (const chunk of source as unknown as AsyncIterable<Uint8Array>) {
          size += chunk.byteLength
          if (size > maxBytes)
            throw new AppError('payload_too_large', `media exceeds ${maxBytes} bytes`, { limit: maxBytes })
          if (headSize < HEAD_BYTES) {
            head.push(chunk.subarray(0, HEAD_BYTES - headSize))
            headSize += Math.min(chunk.byteLength, HEAD_BYTES - headSize)
          }
          hash.update(chunk)
          if (!out.write(chunk)) await new Promise((r) => out.once('drain', r))
        }
        await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())))
        if (size === 0) throw new AppError('validation_error', 'media is empty')
        const sha256 = hash.digest('hex')
        const final = fileOf(sha256)
        mkdirSync(join(root, sha256.slice(0, 2)), { recursive: true, mode: 0o700 })
        if (existsSync(final)) rmSync(temp)
        else renameSync(temp, final)
        return { sha256, size, head: Buffer.concat(head) }
      } catch (e) {
        out.destroy()
        rmSync(temp, { force: true })
        throw e
      }
    },
    path(sha256) {
      if (!/^[0-9a-f]{64}$/.test(sha256)) return null
      const p = fileOf(sha256)
      return existsSync(p) ? p : null
    },
    lookup: () => null,
  }
}
