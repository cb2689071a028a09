// Mimetype from a file's first bytes (magic numbers), for uploads sent without a useful content type.

const starts = (b: Uint8Array, sig: number[], at = 0) => sig.every((v, i) => b[at + i] === v)
const ascii = (b: Uint8Array, text: string, at = 0) =>
  starts(
    b,
    [...text].map((c) => c.charCodeAt(0)),
    at,
  )

/** The mimetype the bytes declare, or null when unknown. Needs the first 16 bytes at least. */
export function sniffMimetype(head: Uint8Array): string | null {
  if (starts(head, [0xff, 0xd8, 0xff])) return 'image/jpeg'
  if (starts(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png'
  if (ascii(head, 'GIF87a') || ascii(head, 'GIF89a')) return 'image/gif'
  if (ascii(head, 'RIFF') && ascii(head, 'WEBP', 8)) return 'image/webp'
  if (ascii(head, 'RIFF') && ascii(head, 'WAVE', 8)) return 'audio/wav'
  if (ascii(head, '%PDF-')) return 'application/pdf'
  if (ascii(head, 'OggS')) return 'audio/ogg'
  if (ascii(head, 'ID3') || starts(head, [0xff, 0xfb]) || starts(head, [0xff, 0xf3])) return 'audio/mpeg'
  if (ascii(head, 'ftyp', 4)) {
    const brand = String.fromCharCode(...head.subarray(8, 12))
    if (brand === 'M4A ') return 'audio/mp4'
    if (brand.startsWith('3gp')) return 'video/3gpp'
    if (brand === 'qt  ') return 'video/quicktime'
    return 'video/mp4'
  }
  if (starts(head, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm'
  if (starts(head, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip'
  return null
}
