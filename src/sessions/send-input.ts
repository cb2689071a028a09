// SendInput → the queued content: which content field, which media source, and the checks the schema cannot say.
import { fileTypeFromBuffer } from 'file-type/core'
import type { ReceivedFile } from '../domain/media-files.ts'
import {
  contentFields,
  MediaKinds,
  type ContentField,
  type MediaInput,
  type MediaKind,
  type SendInput,
} from '../domain/outbound.ts'
import { AppError } from '../errors.ts'

/** A multipart `file` part (POST …/messages with multipart/form-data), already streamed to a temp file. */
export type Upload = {
  file: ReceivedFile
  /** The part's own filename. */
  filename: string | null
  /** The `type` form field, if given. */
  type: string | null
  /** The other form fields of the media object (caption, filename, mimetype, ptt, viewOnce). */
  options: Omit<MediaInput, 'url' | 'data' | 'mediaId'>
}

const isMedia = (f: string): f is MediaKind => (MediaKinds as readonly string[]).includes(f)

/** The one content field present (a multipart file counts as its media kind), or 400 naming what was found. */
export function contentFieldOf(input: SendInput, upload: Upload | null, uploadKind: MediaKind | null): ContentField {
  const present: string[] = contentFields.filter((f) => input[f] !== undefined)
  if (upload) present.push(`file (${uploadKind ?? 'media'})`)
  if (present.length !== 1)
    throw new AppError(
      'validation_error',
      present.length
        ? `exactly one content field is allowed, got ${present.join(', ')}`
        : `one content field is required: ${[...contentFields, 'file'].join(', ')}`,
      { fields: present.length ? present : [...contentFields] },
    )
  if (upload) return uploadKind!
  return present[0] as ContentField
}

/** The kind of a multipart upload: the `type` field, else from the mimetype (image/*, video/*, audio/*, document). */
export function uploadKindOf(type: string | null, mimetype: string | null): MediaKind {
  if (type) {
    if (!isMedia(type))
      throw new AppError('validation_error', `type must be one of ${MediaKinds.join(', ')}`, { field: 'type' })
    return type
  }
  const major = (mimetype ?? '').split('/')[0]
  return major === 'image' || major === 'video' || major === 'audio' ? major : 'document'
}

/** Options that do not fit the kind: caption on audio/sticker, filename off documents, ptt off audio, viewOnce. */
export function checkMediaOptions(
  kind: MediaKind,
  m: { caption?: string; filename?: string; ptt?: boolean; viewOnce?: boolean },
) {
  const bad = (field: string, why: string) => {
    throw new AppError('validation_error', `${field} ${why}`, { field: `${kind}.${field}` })
  }
  if (m.caption !== undefined && (kind === 'audio' || kind === 'sticker')) bad('caption', `is not allowed for ${kind}`)
  if (m.filename !== undefined && kind !== 'document') bad('filename', 'is for documents only')
  if (m.ptt && kind !== 'audio') bad('ptt', 'is for audio only')
  if (m.viewOnce && kind !== 'image' && kind !== 'video' && kind !== 'audio')
    bad('viewOnce', `is not allowed for ${kind}`)
}

/** Exactly one of url, data, mediaId. */
export function sourceOf(kind: MediaKind, m: { url?: string; data?: string; mediaId?: string }) {
  const given = (['url', 'data', 'mediaId'] as const).filter((k) => m[k] !== undefined)
  if (given.length !== 1)
    throw new AppError('validation_error', `${kind} needs exactly one of url, data, mediaId`, {
      fields: given.map((g) => `${kind}.${g}`),
    })
  return given[0]!
}

/** Strict base64 (standard or URL-safe alphabet, optional padding): a typo must not become different bytes. */
export function decodeBase64(data: string, field: string): Buffer {
  const clean = data.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(clean) || clean.length % 4 === 1)
    throw new AppError('validation_error', `${field} is not valid base64`, { field })
  return Buffer.from(clean, clean.includes('-') || clean.includes('_') ? 'base64url' : 'base64')
}

const generic = new Set(['', 'application/octet-stream'])

/**
 * The mimetype to send: the one given, else the upload's own (unless generic), else sniffed from the first bytes;
 * a voice note is always Opus in OGG for WhatsApp to play it as one.
 */
export async function mimetypeOf(
  kind: MediaKind,
  given: string | undefined,
  declared: string | null,
  head: Uint8Array,
  ptt: boolean,
): Promise<string> {
  let mime = given ?? (declared && !generic.has(declared) ? declared : undefined)
  mime ??= (await fileTypeFromBuffer(head))?.mime
  if (!mime) {
    if (kind === 'document') mime = 'application/octet-stream'
    else
      throw new AppError('validation_error', `the ${kind}'s type could not be recognised; pass mimetype`, {
        field: 'mimetype',
      })
  }
  if (kind === 'sticker' && mime !== 'image/webp')
    throw new AppError('validation_error', 'a sticker must be image/webp', { field: 'mimetype', mimetype: mime })
  if (ptt && mime.startsWith('audio/ogg')) return 'audio/ogg; codecs=opus'
  return mime
}
