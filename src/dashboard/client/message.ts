// How one stored message reads in the dashboard: text, media (images previewed inline, video and audio played on
// demand, every file downloadable), location, contacts and polls. Media bytes are fetched with the Authorization
// header and shown through blob: URLs, because the key must never go into a URL.
import { api } from './api.ts'
import { h, time } from './dom.ts'

export type Media = {
  mimetype: string | null
  filename: string | null
  size: number | null
  status: 'pending' | 'stored' | 'skipped' | 'failed'
  url: string
  width?: number
  height?: number
  durationSeconds?: number
}
type Location = { latitude: number; longitude: number; name: string | null; address: string | null; live?: boolean }
type ContactCard = { name: string; phones: string[]; org?: string | null }
type Poll = { name: string; selectableCount: number; options: { name: string; votes: number }[] }

export type Message = {
  id: string
  chatJid: string
  fromMe: boolean
  senderJid: string | null
  senderName: string | null
  type: string
  body: string | null
  media: Media | null
  location?: Location
  contacts?: ContactCard[]
  poll?: Poll
  status: string
  error: string | null
  edited: boolean
  deleted: boolean
  timestamp: number
  createdAt: number
}

/** The blob: URLs a page made for media, one fetch per file; `revoke` frees them when the page goes. */
export class Blobs {
  private readonly urls = new Map<string, Promise<string>>()
  url(path: string) {
    let u = this.urls.get(path)
    if (!u) {
      u = api.fetchBlob(path).then((b) => URL.createObjectURL(b))
      u.catch(() => this.urls.delete(path))
      this.urls.set(path, u)
    }
    return u
  }
  revoke() {
    for (const u of this.urls.values()) void u.then((x) => URL.revokeObjectURL(x)).catch(() => {})
    this.urls.clear()
  }
}

/** Images up to this size are previewed without a click. */
const PREVIEW_MAX_BYTES = 4 << 20

const size = (n: number | null) =>
  n === null
    ? ''
    : n < 1024
      ? `${n} B`
      : n < 1 << 20
        ? `${(n / 1024).toFixed(0)} KB`
        : `${(n / (1 << 20)).toFixed(1)} MB`

const fileName = (m: Message, media: Media) =>
  media.filename ?? `${m.type}-${m.id}.${(media.mimetype ?? 'application/bin').split('/')[1]!.split(/[;+]/)[0]}`

const pendingWords: Record<Media['status'], string> = {
  pending: 'downloading…',
  stored: '',
  skipped: 'not downloaded (size or kind policy, or removed by retention)',
  failed: 'the download failed',
}

/** An action that shows what went wrong in words next to it. */
function guarded(label: string, fn: (b: HTMLButtonElement) => Promise<void>): [HTMLButtonElement, HTMLElement] {
  const err = h('span', { class: 'error', role: 'alert' })
  const b = h('button', { type: 'button', class: 'small' }, label)
  b.onclick = () => {
    err.textContent = ''
    b.disabled = true
    fn(b)
      .catch((e: Error) => ((err.textContent = e.message), (b.hidden = false))) // visible to try again
      .finally(() => (b.disabled = false))
  }
  return [b, err]
}

function mediaView(m: Message, media: Media, blobs: Blobs) {
  const what = [media.mimetype, size(media.size)].filter(Boolean).join(', ')
  if (media.status !== 'stored')
    return h('p', { class: 'muted media-state' }, `${m.type} (${what}): ${pendingWords[media.status]}`)
  const name = fileName(m, media)
  const out: Node[] = []
  if (m.type === 'image' || m.type === 'sticker') {
    const img = h('img', {
      class: m.type === 'sticker' ? 'preview sticker' : 'preview',
      alt: m.body ?? `${m.type} ${name}`,
      ...(media.width && media.height ? { width: media.width, height: media.height } : {}),
    })
    // Small pictures load at once; a big one (a phone on a slow link pays for it) when asked.
    const [show, err] = guarded(`Show ${m.type}${what ? ` (${what})` : ''}`, async (b) => {
      img.src = await blobs.url(media.url)
      b.replaceWith(img)
    })
    if ((media.size ?? 0) <= PREVIEW_MAX_BYTES) {
      show.hidden = true
      show.click()
    }
    out.push(show, err)
  } else if (m.type === 'video' || m.type === 'audio') {
    const [play, err] = guarded(`Play ${m.type}`, async (b) => {
      const player = h(m.type === 'video' ? 'video' : 'audio', { controls: true, class: 'preview' })
      player.src = await blobs.url(media.url)
      b.replaceWith(player)
    })
    out.push(play, err)
  }
  const [download, err] = guarded(`Download ${name}${what ? ` (${what})` : ''}`, async () => {
    const a = h('a', { href: await blobs.url(media.url), download: name })
    a.click()
  })
  out.push(h('p', { class: 'download' }, download, err))
  return out
}

function richView(m: Message) {
  if (m.location) {
    const l = m.location
    const place = [l.name, l.address].filter(Boolean).join(', ')
    return h(
      'p',
      { class: 'location' },
      `${l.live ? 'Live location' : 'Location'}: ${place ? `${place} ` : ''}(${l.latitude.toFixed(5)}, ${l.longitude.toFixed(5)})`,
    )
  }
  if (m.contacts)
    return h(
      'ul',
      { class: 'contacts' },
      m.contacts.map((c) =>
        h(
          'li',
          {},
          h('strong', {}, c.name),
          c.org ? ` (${c.org})` : '',
          c.phones.length ? `: ${c.phones.join(', ')}` : '',
        ),
      ),
    )
  if (m.poll)
    return h(
      'div',
      { class: 'poll' },
      h('strong', {}, `Poll: ${m.poll.name}`),
      h(
        'span',
        { class: 'muted' },
        m.poll.selectableCount ? ` (choose up to ${m.poll.selectableCount})` : ' (any number of options)',
      ),
      h(
        'ol',
        {},
        m.poll.options.map((o) => h('li', {}, `${o.name}: ${o.votes} vote${o.votes === 1 ? '' : 's'}`)),
      ),
    )
  return null
}

/** One message as a conversation bubble (`li.in` or `li.out`). */
export function bubble(m: Message, blobs: Blobs) {
  const rich = m.deleted ? null : richView(m)
  // A poll's body is its question, a location's its name: already shown by the rich part.
  const body = rich && m.body && rich.textContent!.includes(m.body) ? null : m.body
  const text = m.deleted ? 'This message was deleted.' : (body ?? (m.media || rich ? null : `[${m.type}]`))
  return h(
    'li',
    { class: m.fromMe ? 'out' : 'in', 'data-id': m.id, 'data-type': m.type },
    !m.deleted && m.media ? mediaView(m, m.media, blobs) : null,
    rich,
    text === null ? null : h('p', { class: m.deleted ? 'muted' : undefined }, text),
    m.error ? h('p', { class: 'error' }, m.error) : null,
    h(
      'small',
      { class: 'muted' },
      [
        m.fromMe ? 'me' : (m.senderName ?? m.senderJid ?? ''),
        time(m.timestamp ?? m.createdAt),
        m.status,
        m.edited ? 'edited' : '',
      ]
        .filter(Boolean)
        .join(' · '),
    ),
  )
}
