// Link previews for outgoing texts, the way WhatsApp's apps make them: the first http(s) URL of the text is fetched
// through the egress policy (resolved address checked, redirects re-checked), only the page's start is read, its
// title / description / image come from the og: (then twitter:, then <title> / description) meta tags, and the image
// is fetched too, all within one short deadline. Any failure means no preview, never a failed or late send.
import { decodeHTML, decodeHTMLAttribute } from 'entities'
import type { LinkPreview, LinkPreviewer } from '../domain/outbound.ts'
import type { Egress } from './egress.ts'

export type LinkPreviewOptions = {
  /** The deadline for the page and its image together. */
  timeoutMs?: number
  /** Bytes of the page read (the meta tags are in its head). */
  pageBytes?: number
  /** Largest image fetched for the thumbnail. */
  imageBytes?: number
  userAgent?: string
}

export const LINK_PREVIEW_DEFAULTS = { timeoutMs: 3_000, pageBytes: 256 * 1024, imageBytes: 2 * 1024 * 1024 }

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/i
const TRAILING = /[.,;:!?'")\]}>]+$/
const MAX_FIELD = 300

/** The first http(s) URL of a text, without trailing punctuation; null when none. */
export function firstUrl(text: string): string | null {
  const m = URL_IN_TEXT.exec(text)
  if (!m) return null
  const raw = m[0].replace(TRAILING, '')
  try {
    return new URL(raw).protocol.startsWith('http') ? raw : null
  } catch {
    return null
  }
}

const clean = (s: string | undefined, decode: (s: string) => string) => {
  const v = s === undefined ? '' : decode(s).replace(/\s+/g, ' ').trim()
  return v ? v.slice(0, MAX_FIELD) : null
}

/** `name="value"` pairs of one tag's attributes (lower-case names). */
function attributes(tag: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const m of tag.matchAll(/([a-zA-Z_:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g))
    out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? m[4] ?? '')
  return out
}

/** Title, description and image URL of a page's head (og:, then twitter:, then <title> and description). */
export function extractMeta(html: string): { title: string | null; description: string | null; image: string | null } {
  const end = html.search(/<\/head\s*>|<body[\s>]/i)
  const head = end >= 0 ? html.slice(0, end) : html
  const meta = new Map<string, string>()
  for (const m of head.matchAll(/<meta\b[^>]*>/gi)) {
    const a = attributes(m[0])
    const key = (a.get('property') ?? a.get('name'))?.toLowerCase()
    const content = a.get('content')
    if (key && content !== undefined && !meta.has(key)) meta.set(key, content)
  }
  const titleTag = /<title[^>]*>([^<]*)<\/title\s*>/i.exec(head)?.[1]
  const attr = (...keys: string[]) =>
    clean(
      keys.map((k) => meta.get(k)).find((v) => v !== undefined),
      decodeHTMLAttribute,
    )
  return {
    title: attr('og:title', 'twitter:title') ?? clean(titleTag, decodeHTML),
    description: attr('og:description', 'twitter:description', 'description'),
    image: attr('og:image', 'og:image:url', 'twitter:image'),
  }
}

/** At most `max` bytes of a body, then the rest is cancelled (never read). */
async function readStart(body: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const reader = body.getReader()
  const chunks: Uint8Array[] = []
  let n = 0
  try {
    while (n < max) {
      const { value, done } = await reader.read()
      if (done) break
      chunks.push(value)
      n += value.length
    }
  } finally {
    reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).subarray(0, max)
}

export function createLinkPreviewer(egress: Egress, o: LinkPreviewOptions = {}): LinkPreviewer {
  const timeoutMs = o.timeoutMs ?? LINK_PREVIEW_DEFAULTS.timeoutMs
  const pageBytes = o.pageBytes ?? LINK_PREVIEW_DEFAULTS.pageBytes
  const imageBytes = o.imageBytes ?? LINK_PREVIEW_DEFAULTS.imageBytes
  const headers = { 'user-agent': o.userAgent ?? 'wagate link preview', accept: 'text/html,application/xhtml+xml' }

  async function image(url: string, signal: AbortSignal): Promise<Uint8Array | null> {
    const { response } = await egress.get(url, { maxBytes: imageBytes, timeoutMs, maxRedirects: 3, signal })
    if (!response.ok || !response.body || !response.headers.get('content-type')?.startsWith('image/')) {
      await response.body?.cancel()
      return null
    }
    return new Uint8Array(await response.arrayBuffer())
  }

  async function preview(text: string, signal: AbortSignal): Promise<LinkPreview | null> {
    const url = firstUrl(text)
    if (!url) return null
    // The page may be longer than what is read: its start is enough, the cap only refuses what declares more.
    const page = await egress.get(url, { maxBytes: 64 * pageBytes, timeoutMs, maxRedirects: 3, headers, signal })
    const { response } = page
    const type = response.headers.get('content-type') ?? ''
    if (!response.ok || !response.body || !/^(text\/html|application\/xhtml\+xml)/i.test(type)) {
      await response.body?.cancel()
      return null
    }
    const meta = extractMeta(new TextDecoder().decode(await readStart(response.body, pageBytes)))
    if (!meta.title) return null
    let thumbnail: Uint8Array | null = null
    if (meta.image) {
      const src = URL.parse(meta.image, page.url)
      if (src && (src.protocol === 'http:' || src.protocol === 'https:'))
        thumbnail = await image(src.href, signal).catch(() => null)
    }
    return { url, canonicalUrl: page.url, title: meta.title, description: meta.description, image: thumbnail }
  }

  return async (text) => {
    const signal = AbortSignal.timeout(timeoutMs)
    try {
      return await preview(text, signal)
    } catch {
      return null
    }
  }
}
