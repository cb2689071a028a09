// Streaming multipart/form-data: the text fields are collected (few and small, capped), the one `file` part is
// handed to a consumer as its bytes arrive, so a 200 MB upload is never held in memory (Bun's Request.formData()
// buffers the whole body). Parsing is @fastify/busboy's; this file feeds it the request stream with backpressure
// and stops reading the body as soon as anything fails (a file over the size cap answers before the rest arrives).
import { Busboy } from '@fastify/busboy'
import type { Readable } from 'node:stream'
import { AppError } from '../errors.ts'
import { MediaStoreError, type MediaStore } from '../media/store.ts'

export type FilePart = { filename: string | null; type: string; stream: AsyncIterable<Uint8Array> }
export type Multipart<T> = { fields: Map<string, string[]>; file: T | null }

const LIMITS = { fields: 64, fieldSize: 1 << 20, fieldNameSize: 100, files: 4, parts: 80, headerPairs: 20 }

const malformed = () => new AppError('validation_error', 'malformed multipart body', { in: 'body' })

/**
 * Reads `request`'s multipart body: `onFile` consumes the part named `file` (other file parts are skipped) and
 * resolves with what it made of it. When the body fails after that (a bad field, a second `file` part), `discard`
 * is called on the result and the error thrown.
 */
export async function readMultipart<T extends { discard(): void }>(
  request: Request,
  onFile: (part: FilePart) => Promise<T>,
): Promise<Multipart<T>> {
  const contentType = request.headers.get('content-type') ?? ''
  let bb: ReturnType<typeof Busboy>
  try {
    bb = Busboy({ headers: { 'content-type': contentType }, limits: LIMITS })
  } catch {
    throw malformed()
  }
  const reader = request.body?.getReader()
  if (!reader) throw malformed()
  const fields = new Map<string, string[]>()
  let file: Promise<T> | null = null
  let failure: unknown = null
  // Set when reading must stop: a failure, or the file's consumer gave up (its error comes when its promise settles).
  // Stopping cancels the reader (a pending read ends) and wakes a wait for drain or finish. No Promise.race against
  // a long-lived promise: each race would keep its chunk reachable until that promise settles.
  let halted = false
  let wake: (() => void) | null = null
  const stop = () => {
    if (halted) return
    halted = true
    reader.cancel().catch(() => {})
    wake?.()
  }
  const until = (event: 'drain' | 'finish') =>
    new Promise<void>((resolve) => {
      wake = resolve
      bb.once(event, () => resolve())
    }).finally(() => (wake = null))
  const fail = (e: unknown) => {
    if (failure !== null) return
    failure = e
    stop()
  }
  bb.on('file', (name: string, stream: Readable, filename: string, _enc: string, mimeType: string) => {
    if (name !== 'file' || file) {
      stream.resume()
      if (name === 'file') fail(new AppError('validation_error', 'only one file part is allowed', { field: 'file' }))
      return
    }
    // A part cut short is a malformed body; a consumer that stops reading (over the cap) stops the body at once.
    stream.on('error', () => fail(malformed()))
    stream.on('close', () => {
      if (!stream.readableEnded) stop()
    })
    const part = { filename: filename || null, type: mimeType, stream: stream as AsyncIterable<Uint8Array> }
    file = onFile(part)
    file.catch(() => stop())
  })
  bb.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
    if (valueTruncated) fail(new AppError('validation_error', `form field ${name} is too long`, { field: name }))
    else fields.set(name, [...(fields.get(name) ?? []), value])
  })
  for (const limit of ['partsLimit', 'fieldsLimit', 'filesLimit'])
    bb.on(limit, () => fail(new AppError('validation_error', 'too many parts in the multipart body', { in: 'body' })))
  bb.on('error', () => fail(malformed()))

  // Feed the body with backpressure; stop reading it at the first failure (the rest is never received).
  try {
    while (!halted) {
      const next = await reader.read()
      if (next.done || halted) break
      if (!bb.write(next.value)) await until('drain')
    }
    if (!halted) {
      const finished = until('finish')
      bb.end()
      await finished
    }
  } catch (e) {
    fail(e instanceof AppError ? e : malformed())
  } finally {
    if (halted) bb.destroy()
  }
  let got: T | null = null
  if (file !== null)
    try {
      got = await (file as Promise<T>)
    } catch (e) {
      // The consumer's own refusal (413) says most; a plain error after a parse failure is that failure's echo.
      throw e instanceof AppError || failure === null ? e : failure
    }
  if (failure === null && halted) fail(malformed())
  if (failure !== null) {
    got?.discard()
    throw failure
  }
  return { fields, file: got }
}

/** The first value of a form field, or null. */
export const field = (m: Multipart<unknown>, name: string) => m.fields.get(name)?.[0] ?? null

const baseType = (ct: string) => ct.split(';')[0]!.trim().toLowerCase()

/** A file part streamed into the media store's temp area, 413 `payload_too_large` as soon as it passes `maxBytes`. */
export async function receiveFile(store: MediaStore, part: FilePart, maxBytes: number) {
  const got = await store.receive(part.stream, { maxBytes }).catch((e: unknown) => {
    if (e instanceof MediaStoreError && e.reason === 'too_large')
      throw new AppError('payload_too_large', `file exceeds ${maxBytes} bytes`, { limit: maxBytes })
    throw e
  })
  return { ...got, type: baseType(part.type), filename: part.filename }
}
