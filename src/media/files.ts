// The send path's view of the media store (domain/media-files.ts): stage a file, find it by hash or mediaId.
// A staged file has no holder yet; the pending message that sends it becomes its holder when stored (ingest).
import type { MediaFiles } from '../domain/media-files.ts'
import { AppError } from '../errors.ts'
import { MediaStoreError, type MediaStore } from './store.ts'

const HEAD_BYTES = 4100

export function mediaFilesOf(store: MediaStore): MediaFiles {
  return {
    async put(source, maxBytes) {
      const stored = await store.put(source, { maxBytes }).catch((e: unknown) => {
        if (e instanceof MediaStoreError && e.reason === 'too_large')
          throw new AppError('payload_too_large', `media exceeds ${maxBytes} bytes`, { limit: maxBytes })
        throw e
      })
      if (stored.size === 0) throw new AppError('validation_error', 'media is empty')
      const head = await (await store.open(stored.sha256))!.file.slice(0, HEAD_BYTES).bytes()
      return { ...stored, head }
    },
    path: (sha256) => store.path(sha256),
    async lookup(sessionId, mediaId) {
      const u = await store.upload(sessionId, mediaId)
      return u ? { sha256: u.sha256, size: u.size, mimetype: u.mimetype, filename: u.filename } : null
    },
  }
}
