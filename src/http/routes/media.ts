// Media files: upload once (POST …/media → mediaId, sent later by id) and a message's media bytes (GET, Range).
import { Elysia, t } from 'elysia'
import { fileTypeFromBuffer } from 'file-type/core'
import { ulid } from 'ulid'
import type { Message } from '../../domain/message.ts'
import { AppError, notFound } from '../../errors.ts'
import type { MediaStore } from '../../media/store.ts'
import { authPlugin } from '../auth.ts'
import { envelope } from '../errors.ts'
import type { HttpDeps } from '../deps.ts'
import { readMultipart, receiveFile } from '../multipart.ts'
import { parseRange } from '../range.ts'
import { errors, ownSession, pathId } from '../shared.ts'

export const MediaUpload = t.Object({
  mediaId: t.String({ description: 'Pass as `mediaId` to send this file (any chat of this session)' }),
  mimetype: t.String(),
  size: t.Integer(),
  sha256: t.String({ description: 'Hex SHA-256 of the file' }),
})

const uploadDoc =
  'Stores a file once, so the same file can be sent to many chats by `mediaId` without uploading it again. ' +
  'Send it as `multipart/form-data` with a `file` part (curl `-F file=@invoice.pdf`), or as the raw body with ' +
  'its `Content-Type` (and optional `?filename=`). `application/octet-stream` or a missing part type is sniffed ' +
  'from the bytes. Files larger than `--media-max-bytes` answer 413. Requires the `send` capability.'
const downloadDoc =
  "Streams the message's media bytes with Content-Type, Content-Length, ETag (the SHA-256) and " +
  'Content-Disposition (the filename). A `Range: bytes=a-b` request answers 206 with that part (416 when it ' +
  'starts past the end). 404 when the message has no media; 409 `conflict` with `details.mediaStatus` while ' +
  'the download is pending, or when it was skipped or failed. Requires the `read` capability.'

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'video/mp4': 'mp4',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'application/pdf': 'pdf',
}

/** What file-type reads to recognise every format it knows (its own sample size). */
const SNIFF_BYTES = 4100

const baseType = (ct: string | null | undefined) => (ct ?? '').split(';')[0]!.trim().toLowerCase()

/** `filename="…"` for ASCII readers plus `filename*` (RFC 6266) for the real name. */
function disposition(kind: 'inline' | 'attachment', name: string) {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

function fileNameOf(m: Message) {
  if (m.media?.filename) return m.media.filename
  const ext = EXT[baseType(m.media?.mimetype)] ?? 'bin'
  return `${m.id}.${ext}`
}

function mediaOf(deps: HttpDeps): { store: MediaStore; maxBytes: number } {
  if (!deps.media) throw new AppError('unavailable', 'media storage is not configured')
  return deps.media
}

/**
 * The upload, streamed to a temp file of the store as it arrives (hashed, 413 once past `maxBytes`): the `file` part
 * of a multipart body, or the raw body.
 */
async function receiveBody(request: Request, query: { filename?: string }, store: MediaStore, maxBytes: number) {
  const ct = request.headers.get('content-type') ?? ''
  if (baseType(ct) === 'multipart/form-data') {
    const form = await readMultipart(request, (part) => receiveFile(store, part, maxBytes))
    if (!form.file)
      throw new AppError('validation_error', 'multipart body needs a file part named "file"', { field: 'file' })
    return { ...form.file, filename: form.file.filename ?? query.filename ?? null }
  }
  if (!ct || baseType(ct) === 'application/json' || !request.body)
    throw new AppError(
      'validation_error',
      'send the file as multipart/form-data (part "file") or as the raw body with its Content-Type',
      { in: 'body' },
    )
  const part = { stream: request.body as AsyncIterable<Uint8Array>, type: ct, filename: query.filename ?? null }
  return receiveFile(store, part, maxBytes)
}

export function mediaRoutes(deps: HttpDeps) {
  const { sessions, messages, media: uploads } = deps.repos

  return new Elysia({ prefix: '/api/v1/sessions/:sid', tags: ['media'] })
    .use(authPlugin(deps.authenticate))
    .post(
      '/media',
      async ({ principal, params, request, query, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const { store, maxBytes } = mediaOf(deps)
        const body = await receiveBody(request, query, store, maxBytes)
        if (body.size === 0) {
          body.discard()
          throw new AppError('validation_error', 'the file is empty', { field: 'file' })
        }
        const id = `med_${ulid()}`
        const holder = { sessionId: session.id, owner: `upload:${id}` }
        const stored = await body.keep(holder)
        let mimetype = body.type
        if (!mimetype || mimetype === 'application/octet-stream') {
          const head = new Uint8Array(await (await store.open(stored.sha256))!.file.slice(0, SNIFF_BYTES).arrayBuffer())
          mimetype = (await fileTypeFromBuffer(head))?.mime ?? 'application/octet-stream'
        }
        await uploads.createUpload({
          id,
          ...holder,
          ...stored,
          mimetype,
          filename: body.filename,
          createdAt: Date.now(),
        })
        set.status = 201
        return { mediaId: id, mimetype, size: stored.size, sha256: stored.sha256 }
      },
      {
        auth: 'send',
        query: t.Object({ filename: t.Optional(t.String({ minLength: 1, maxLength: 255 })) }),
        response: { 201: MediaUpload, ...errors, 413: 'error' as const, 503: 'error' as const },
        detail: {
          operationId: 'uploadMedia',
          summary: 'Upload a media file',
          description: uploadDoc,
          // The handler reads the body itself (no body schema for Elysia): say what it takes.
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['file'],
                  properties: { file: { type: 'string', format: 'binary', description: 'The file' } },
                },
              },
              'application/octet-stream': {
                schema: {
                  type: 'string',
                  format: 'binary',
                  description: 'The raw file, sent with its own Content-Type',
                },
              },
            },
          },
        },
      },
    )
    .get(
      '/chats/:cid/messages/:mid/media',
      async ({ principal, params, request }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const message = await messages.get(session.id, pathId(params.cid, 'cid'), pathId(params.mid, 'mid'))
        if (!message) throw notFound('message')
        if (!message.media) throw new AppError('not_found', 'the message has no media')
        const file =
          message.media.status === 'stored' &&
          message.media.sha256 &&
          (await mediaOf(deps).store.open(message.media.sha256))
        if (!file)
          throw new AppError(
            'conflict',
            `the media is ${message.media.status === 'stored' ? 'gone' : message.media.status}`,
            {
              mediaStatus: message.media.status === 'stored' ? 'skipped' : message.media.status,
            },
          )
        const etag = `"${message.media.sha256}"`
        const headers: Record<string, string> = {
          'content-type': message.media.mimetype ?? 'application/octet-stream',
          etag,
          'accept-ranges': 'bytes',
          'cache-control': 'private, max-age=31536000, immutable',
          'content-disposition': disposition(
            message.type === 'document' ? 'attachment' : 'inline',
            fileNameOf(message),
          ),
        }
        if (request.headers.get('if-none-match') === etag) return new Response(null, { status: 304, headers })
        const ifRange = request.headers.get('if-range')
        const range =
          ifRange && ifRange !== etag ? { kind: 'full' as const } : parseRange(request.headers.get('range'), file.size)
        if (range.kind === 'unsatisfiable') {
          const body = envelope('validation_error', 'range not satisfiable', { size: file.size })
          return Response.json(body, { status: 416, headers: { 'content-range': `bytes */${file.size}` } })
        }
        if (range.kind === 'partial') {
          const { start, end } = range
          headers['content-range'] = `bytes ${start}-${end}/${file.size}`
          headers['content-length'] = String(end - start + 1)
          return new Response(file.file.slice(start, end + 1), { status: 206, headers })
        }
        headers['content-length'] = String(file.size)
        return new Response(file.file, { status: 200, headers })
      },
      {
        auth: 'read',
        response: { ...errors, 409: 'error' as const, 503: 'error' as const },
        detail: {
          operationId: 'downloadMessageMedia',
          summary: "Download a message's media",
          description: downloadDoc,
          responses: {
            200: {
              description: 'The bytes',
              content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
            },
            206: {
              description: 'The requested range',
              content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
            },
            304: { description: 'Not modified (If-None-Match matched the ETag)' },
            416: { description: 'The range starts past the end of the file' },
          },
        },
      },
    )
}
