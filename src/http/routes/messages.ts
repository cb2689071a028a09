// Sending messages (JSON or multipart/form-data), with Idempotency-Key: the same key and body within 24 h answers
// the first result and queues nothing twice; the same key with another body is a 409.
import { createHash } from 'node:crypto'
import { Elysia } from 'elysia'
import { Message } from '../../domain/message.ts'
import { SendInput } from '../../domain/outbound.ts'
import { AppError } from '../../errors.ts'
import type { Upload } from '../../sessions/engine.ts'
import { authorize, authPlugin } from '../auth.ts'
import type { HttpDeps } from '../deps.ts'
import { field, readMultipart, receiveFile } from '../multipart.ts'
import { errors, ownSession } from '../shared.ts'

const sendDescription =
  'Queues a message and answers 201 with it, `pending`: the session sends it in order, paced, and its status then ' +
  'walks sent → delivered → read (`message.status` events). Exactly one content field: `text`, `image`, `video`, ' +
  '`audio`, `document`, `sticker`, `location`, `contacts` or `poll`. Media take exactly one source (`url`, base64 ' +
  '`data`, or `mediaId`); the same route accepts multipart/form-data with a `file` part, `type` (else from the ' +
  "mimetype) and the other fields as form fields. 429 `rate_limited` with Retry-After when the session's queue is " +
  'full; 409 `session_not_connected` when the session is not linked and running. Honours `Idempotency-Key`.'

const MEDIA_FIELDS = ['caption', 'filename', 'mimetype'] as const
const FLAG_FIELDS = ['ptt', 'viewOnce'] as const

/** Multipart form → the JSON input shape (content fields as JSON text) plus the file, streamed to a temp file. */
async function fromForm(
  request: Request,
  media: HttpDeps['media'],
  maxBytes: number,
): Promise<{ input: Record<string, unknown>; upload: Upload | null }> {
  const form = await readMultipart(request, async (part) => {
    if (!media) throw new AppError('validation_error', 'this gateway has no media store', { field: 'file' })
    return receiveFile(media.store, part, maxBytes)
  })
  const text = (k: string) => field(form, k)
  const input: Record<string, unknown> = {}
  for (const k of ['to', 'text', 'quotedMessageId'] as const) if (text(k) !== null) input[k] = text(k)
  if (text('linkPreview') !== null) input.linkPreview = text('linkPreview') !== 'false'
  const mentions = form.fields.get('mentions') ?? []
  if (mentions.length) input.mentions = mentions.flatMap((m) => m.split(',').map((x) => x.trim())).filter(Boolean)
  for (const k of ['location', 'contacts', 'poll'] as const) {
    const v = text(k)
    if (v === null) continue
    try {
      input[k] = JSON.parse(v)
    } catch {
      form.file?.discard()
      throw new AppError('validation_error', `${k} must be JSON in a form field`, { field: k })
    }
  }
  if (form.fields.has('file')) {
    form.file?.discard()
    throw new AppError('validation_error', 'file must be a file part', { field: 'file' })
  }
  const file = form.file
  if (file === null) return { input, upload: null }
  const options: Upload['options'] = {}
  for (const k of MEDIA_FIELDS) if (text(k) !== null) options[k] = text(k)!
  for (const k of FLAG_FIELDS) if (text(k) !== null) options[k] = text(k) === 'true'
  const name = file.filename
  return { input, upload: { file, filename: name && name !== 'blob' ? name : null, type: text('type'), options } }
}

const uploads = new WeakMap<Request, Upload>()

export function messageRoutes({ repos, engine, authenticate, media, mediaMaxBytes }: HttpDeps) {
  const maxBytes = mediaMaxBytes ?? media?.maxBytes ?? Number.MAX_SAFE_INTEGER
  const { sessions, idempotency } = repos
  const inFlight = new Set<string>()

  return new Elysia({ prefix: '/api/v1/sessions/:sid/messages', tags: ['messages'] })
    .use(authPlugin(authenticate))
    .post(
      '',
      async ({ principal, params, body, request, set }) => {
        const session = await ownSession(sessions, principal, params.sid)
        const upload = uploads.get(request) ?? null
        const send = () => engine.send(session.id, body, upload)
        const key = request.headers.get('idempotency-key')
        if (key === null) {
          set.status = 201
          return send()
        }
        if (!key || key.length > 255) throw new AppError('validation_error', 'Idempotency-Key must be 1–255 characters')
        const scope = `send:${session.id}`
        const file = upload
          ? { name: upload.filename, size: upload.file.size, type: upload.file.type, sha256: upload.file.sha256 }
          : null
        const bodyHash = createHash('sha256')
          .update(JSON.stringify({ body, file, options: upload?.options }))
          .digest('hex')
        const seen = await idempotency.get(principal.orgId, scope, key)
        if (seen) {
          if (seen.bodyHash !== bodyHash)
            throw new AppError('conflict', 'Idempotency-Key was already used with a different body')
          set.status = seen.status
          return JSON.parse(seen.response) as Message
        }
        const slot = `${principal.orgId}\0${scope}\0${key}`
        if (inFlight.has(slot)) throw new AppError('conflict', 'a request with this Idempotency-Key is in progress')
        inFlight.add(slot)
        try {
          const sent = await send()
          await idempotency.put(principal.orgId, scope, key, { bodyHash, status: 201, response: JSON.stringify(sent) })
          set.status = 201
          return sent
        } finally {
          inFlight.delete(slot)
        }
      },
      {
        auth: 'send',
        // The global parser reads JSON; a multipart body is read here into the same input shape, its file streamed
        // to a temp file of the media store (kept by the send, else deleted once the response is out). Elysia parses
        // before the auth macro resolves, so the token is checked first: no file is written for a request that
        // would be refused.
        async parse({ request, contentType }) {
          if (!contentType?.startsWith('multipart/form-data')) return
          await authorize(authenticate, request, 'send')
          const { input, upload } = await fromForm(request, media, maxBytes)
          if (upload) uploads.set(request, upload)
          return input
        },
        afterResponse({ request }) {
          uploads.get(request)?.file.discard()
        },
        body: SendInput,
        response: {
          201: Message,
          ...errors,
          409: 'error' as const,
          413: 'error' as const,
          429: 'error' as const,
          502: 'error' as const,
        },
        detail: {
          operationId: 'sendMessage',
          summary: 'Send a message',
          description: sendDescription,
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: false,
              schema: { type: 'string', minLength: 1, maxLength: 255 },
              description:
                'The same key and body within 24 h answers the first send again (nothing is sent twice); the same key ' +
                'with another body is 409 `conflict`',
            },
          ],
        },
      },
    )
}
