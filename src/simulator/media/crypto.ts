// WhatsApp's media encryption, written from the protocol (not Baileys' helpers), so the simulator checks Baileys'
// uploads independently: HKDF-SHA256(mediaKey, no salt, "WhatsApp <Type> Keys", 112) → iv | cipherKey | macKey,
// AES-256-CBC, and a MAC of HMAC-SHA256(macKey, iv ‖ ciphertext) truncated to 10 bytes after the ciphertext.
// Plus the media-retry envelope: AES-256-GCM with HKDF(mediaKey, "WhatsApp Media Retry Notification") and the
// message id as associated data.
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'

/** The HKDF info word per media type (a voice note is `ptt`, which uses the audio keys). */
const KEY_NAMES = {
  image: 'Image',
  sticker: 'Image',
  video: 'Video',
  gif: 'Video',
  ptv: 'Video',
  audio: 'Audio',
  ptt: 'Audio',
  document: 'Document',
} as const

export type MediaType = keyof typeof KEY_NAMES
const MAC_BYTES = 10

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest()

export function mediaKeys(mediaKey: Uint8Array, type: MediaType) {
  const expanded = Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), `WhatsApp ${KEY_NAMES[type]} Keys`, 112))
  return { iv: expanded.subarray(0, 16), cipherKey: expanded.subarray(16, 48), macKey: expanded.subarray(48, 80) }
}

export interface EncryptedMedia {
  mediaKey: Buffer
  /** ciphertext ‖ 10-byte MAC: what is uploaded and downloaded. */
  enc: Buffer
  fileSha256: Buffer
  fileEncSha256: Buffer
  fileLength: number
}

export function encryptMedia(plain: Uint8Array, type: MediaType, mediaKey: Buffer = randomBytes(32)): EncryptedMedia {
  const { iv, cipherKey, macKey } = mediaKeys(mediaKey, type)
  const cipher = createCipheriv('aes-256-cbc', cipherKey, iv)
  const ct = Buffer.concat([cipher.update(plain), cipher.final()])
  const mac = createHmac('sha256', macKey).update(iv).update(ct).digest().subarray(0, MAC_BYTES)
  const enc = Buffer.concat([ct, mac])
  return { mediaKey, enc, fileSha256: sha256(plain), fileEncSha256: sha256(enc), fileLength: plain.length }
}

export class MediaCheckError extends Error {}

/**
 * Decrypts a downloaded blob and checks everything a real recipient should (Baileys' own download checks nothing):
 * fileEncSha256, the MAC, fileSha256 and fileLength when the message states them.
 */
export function decryptMedia(
  enc: Uint8Array,
  type: MediaType,
  expect: {
    mediaKey: Uint8Array
    fileEncSha256?: Uint8Array | null
    fileSha256?: Uint8Array | null
    fileLength?: number
  },
): Buffer {
  const blob = Buffer.from(enc)
  if (blob.length < MAC_BYTES + 16) throw new MediaCheckError('blob too short')
  if (expect.fileEncSha256?.length && !sha256(blob).equals(Buffer.from(expect.fileEncSha256)))
    throw new MediaCheckError('fileEncSha256 does not match the blob')
  const { iv, cipherKey, macKey } = mediaKeys(expect.mediaKey, type)
  const ct = blob.subarray(0, blob.length - MAC_BYTES)
  const mac = createHmac('sha256', macKey).update(iv).update(ct).digest().subarray(0, MAC_BYTES)
  if (!timingSafeEqual(mac, blob.subarray(blob.length - MAC_BYTES))) throw new MediaCheckError('MAC mismatch')
  let plain: Buffer
  try {
    const decipher = createDecipheriv('aes-256-cbc', cipherKey, iv)
    plain = Buffer.concat([decipher.update(ct), decipher.final()])
  } catch {
    throw new MediaCheckError('bad padding')
  }
  if (expect.fileSha256?.length && !sha256(plain).equals(Buffer.from(expect.fileSha256)))
    throw new MediaCheckError('fileSha256 does not match the plaintext')
  if (expect.fileLength !== undefined && expect.fileLength !== plain.length)
    throw new MediaCheckError(`fileLength ${expect.fileLength} but ${plain.length} bytes`)
  return plain
}

const retryKey = (mediaKey: Uint8Array) =>
  Buffer.from(hkdfSync('sha256', mediaKey, Buffer.alloc(0), 'WhatsApp Media Retry Notification', 32))

export function sealRetry(plain: Uint8Array, mediaKey: Uint8Array, messageId: string) {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', retryKey(mediaKey), iv)
  cipher.setAAD(Buffer.from(messageId))
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()])
  return { ciphertext, iv }
}

export function openRetry(ciphertext: Uint8Array, iv: Uint8Array, mediaKey: Uint8Array, messageId: string): Buffer {
  const data = Buffer.from(ciphertext)
  const decipher = createDecipheriv('aes-256-gcm', retryKey(mediaKey), iv)
  decipher.setAAD(Buffer.from(messageId))
  decipher.setAuthTag(data.subarray(data.length - 16))
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()])
}
