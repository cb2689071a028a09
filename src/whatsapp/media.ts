// Downloading a received message's media with Baileys, and asking the sender's phone to re-upload it.
//
// Traps (research/fakewa-media-groups.md §0): rc14's automatic re-upload on 404/410 never fires (the HTTP error
// is a Boom without `.status`), so the caller catches the error and calls `requestReupload` itself; after a
// re-upload Baileys rebuilds `url` on its `mediaHost`, which is mmg.whatsapp.net unless a media_conn ran, so only
// the new directPath is taken and the download host stays the one of the message's own url (`host`, always passed).
import {
  downloadContentFromMessage,
  normalizeMessageContent,
  type MediaType,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys'

/** What downloading one message's media needs (message_media row + the message's key). */
export type MediaJob = {
  /** Baileys' media type: image, video, ptv, audio, ptt, document, sticker. */
  kind: string
  mediaKey: Uint8Array
  directPath: string | null
  url: string | null
  chatJid: string
  waId: string
  fromMe: boolean
  /** The sender in a group (the key's participant). */
  participant: string | null
}

const CONTENT_KEY: Record<string, string> = {
  image: 'imageMessage',
  video: 'videoMessage',
  ptv: 'ptvMessage',
  audio: 'audioMessage',
  ptt: 'audioMessage',
  document: 'documentMessage',
  sticker: 'stickerMessage',
}

/** The host downloads go to: the one in the message's url (WhatsApp's CDN, or the simulator's media host). */
export function mediaHostOf(job: Pick<MediaJob, 'url'>): string | null {
  if (!job.url) return null
  try {
    return new URL(job.url).host || null
  } catch {
    return null
  }
}

/** The HTTP status of a failed download (Baileys' Boom keeps it in `output.statusCode`), or null. */
export function downloadStatus(e: unknown): number | null {
  const code = (e as { output?: { statusCode?: unknown } } | null)?.output?.statusCode
  return typeof code === 'number' ? code : null
}

/** The decrypted bytes as a stream (Baileys' own decipher over a streamed HTTPS GET); nothing is buffered whole. */
export async function downloadMedia(job: MediaJob, host: string): Promise<AsyncIterable<Uint8Array>> {
  const source = { mediaKey: job.mediaKey, directPath: job.directPath ?? undefined, url: job.url ?? undefined }
  // A bare `host` (no scheme) keeps Baileys on https to exactly that host.
  return downloadContentFromMessage(source, (job.kind === 'ptv' ? 'video' : job.kind) as MediaType, { host })
}

/**
 * Asks the sender's phone to re-upload the media (a `server-error` receipt; the phone answers with a mediaretry
 * notification). Baileys waits without a timeout until the connection closes, hence `timeoutMs`. Resolves with the
 * new directPath; rejects when the phone could not (Boom 404/412/418) or did not answer in time.
 */
export async function requestReupload(sock: WASocket, job: MediaJob, timeoutMs: number): Promise<string> {
  const key = CONTENT_KEY[job.kind] ?? 'documentMessage'
  const msg: WAMessage = {
    key: {
      remoteJid: job.chatJid,
      fromMe: job.fromMe,
      id: job.waId,
      ...(job.participant ? { participant: job.participant } : {}),
    },
    message: { [key]: { mediaKey: job.mediaKey, directPath: job.directPath, url: job.url } },
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no re-upload answer within ${timeoutMs} ms`)), timeoutMs)
  })
  try {
    const updated = await Promise.race([sock.updateMediaMessage(msg), timeout])
    const content = normalizeMessageContent(updated.message) as
      Record<string, { directPath?: string | null }> | undefined
    const directPath = content?.[key]?.directPath
    if (!directPath) throw new Error('the re-upload answer carried no path')
    return directPath
  } finally {
    clearTimeout(timer)
  }
}
