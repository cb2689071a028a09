// Media re-upload requests (§1.6 of research/fakewa-media-groups.md). A client that cannot download a phone's media
// (the URL expired: 404/410) sends `<receipt type="server-error">` with the message id, sealed with a key derived from
// the media key; the phone "re-uploads" (a fresh, live path to the same blob) and the server answers
// `<notification type="mediaretry" id=<message id>>` carrying the sealed MediaRetryNotification.
import { getBinaryNodeChild, getBinaryNodeChildBuffer, proto, type BinaryNode } from '@whiskeysockets/baileys'
import type { Logger } from 'pino'
import type { Conn } from '../network.ts'
import { openRetry, sealRetry } from './crypto.ts'
import type { MediaHost } from './host.ts'

export type RetryOutcome = 'success' | 'not_found' | 'error'

/** What the phone keeps of a media message it sent, to answer re-upload requests for it. */
export interface SentMedia {
  mediaKey: Buffer
  directPath: string
  outcome: RetryOutcome
  /** Re-upload requests answered so far. */
  retries: number
}

const RESULT: Record<RetryOutcome, proto.MediaRetryNotification.ResultType> = {
  success: proto.MediaRetryNotification.ResultType.SUCCESS,
  not_found: proto.MediaRetryNotification.ResultType.NOT_FOUND,
  error: proto.MediaRetryNotification.ResultType.GENERAL_ERROR,
}

export class MediaRetries {
  /** By message id. */
  readonly sent = new Map<string, SentMedia>()

  constructor(
    private readonly media: MediaHost,
    private readonly log: Logger,
  ) {}

  /** Answers a `<receipt type="server-error">`; returns false when it names no media message the phones sent. */
  handle(conn: Conn, node: BinaryNode): boolean {
    const id = node.attrs.id ?? ''
    const record = this.sent.get(id)
    const rmr = getBinaryNodeChild(node, 'rmr')
    if (!record || !rmr) return false
    const encrypt = getBinaryNodeChild(node, 'encrypt')
    const encP = getBinaryNodeChildBuffer(encrypt, 'enc_p')
    const encIv = getBinaryNodeChildBuffer(encrypt, 'enc_iv')
    if (encP && encIv) {
      // Baileys notes the media comes back even without this; when present it must be genuine.
      try {
        const receipt = proto.ServerErrorReceipt.decode(openRetry(encP, encIv, record.mediaKey, id))
        if (receipt.stanzaId !== id) throw new Error('stanzaId mismatch')
      } catch (err) {
        this.log.warn({ err, id }, 'simulator: media retry request did not decrypt')
        return true
      }
    }
    record.retries++
    let result = RESULT[record.outcome]
    let directPath: string | undefined
    if (record.outcome === 'success') {
      directPath = this.media.reupload(record.directPath)?.directPath
      if (directPath) record.directPath = directPath
      else result = RESULT.not_found
    }
    const sealed = sealRetry(
      proto.MediaRetryNotification.encode({ stanzaId: id, directPath, result }).finish(),
      record.mediaKey,
      id,
    )
    conn.send({
      tag: 'notification',
      attrs: {
        id,
        type: 'mediaretry',
        from: conn.device?.account.jid ?? 's.whatsapp.net',
        t: String(Math.floor(Date.now() / 1000)),
      },
      content: [
        { tag: 'rmr', attrs: { ...rmr.attrs } },
        {
          tag: 'encrypt',
          attrs: {},
          content: [
            { tag: 'enc_p', attrs: {}, content: sealed.ciphertext },
            { tag: 'enc_iv', attrs: {}, content: sealed.iv },
          ],
        },
      ],
    })
    return true
  }
}
