// The media file store as the send path uses it: files written to the data dir before a send is accepted.
// src/media/ implements it (content-addressed by SHA-256); the sender only ever reads a file back by its hash.

/** A file in the store, by content. */
export type StoredFile = { sha256: string; size: number }

/**
 * A file a request streamed to a temp file of the store (hashed, size-capped as it arrived), not stored yet: `keep`
 * moves it into the store, staged (no holder: the pending message that sends it becomes one); `discard` deletes it.
 */
export type ReceivedFile = StoredFile & {
  /** The part's declared content type ('' when none). */
  type: string
  keep(): Promise<StoredFile>
  discard(): void
}

/** A file registered through POST …/media, with what the upload said about it. */
export type RegisteredMedia = StoredFile & { mimetype: string; filename: string | null }

export interface MediaFiles {
  /**
   * Streams bytes into the store (temp file, hashed while written, renamed to its SHA-256): never the whole file in
   * memory. Throws AppError `payload_too_large` past `maxBytes` (the temp file removed). `head` is the first bytes,
   * for sniffing the type.
   */
  put(source: ReadableStream<Uint8Array>, maxBytes: number): Promise<StoredFile & { head: Uint8Array }>
  /** Absolute path of the stored file with this SHA-256, or null when absent. */
  path(sha256: string): string | null
  /** The file POST …/media registered under `mediaId` for the session, or null. */
  lookup(sessionId: string, mediaId: string): Promise<RegisteredMedia | null>
}
