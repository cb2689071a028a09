// Trusting an extra CA for WhatsApp media transfers (the simulator's media host: `--wa-media-ca`).
//
// Baileys uploads and downloads media with the global `fetch` and hands it only a `dispatcher` (rc14
// lib/Utils/messages-media.js getHttpStream, uploadWithFetch), which Bun's fetch ignores; Bun takes extra roots
// only from its own `tls.ca` init field (checked: an undici Agent with connect.ca and an https.Agent both fail,
// tls.ca works). So `trustMediaCa` wraps the global fetch, process-wide like trust.ts, and adds the CA — next to
// the built-in roots, never instead of them, and never by turning verification off — to exactly the requests
// Baileys makes for media: those carrying its `Origin: https://web.whatsapp.com` header. Every other request
// (webhooks, URL sources) is passed through untouched.
import { rootCertificates } from 'node:tls'
import { DEFAULT_ORIGIN } from '@whiskeysockets/baileys'

const WRAPPED = Symbol.for('wagate.mediaCaFetch')

type Fetch = typeof fetch
type Wrapped = Fetch & { [WRAPPED]?: { original: Fetch; cas: Set<string> } }

function originOf(input: Parameters<Fetch>[0], init: RequestInit | undefined): string | null {
  const fromInit = init?.headers ? new Headers(init.headers).get('origin') : null
  if (fromInit) return fromInit
  return input instanceof Request ? input.headers.get('origin') : null
}

/** A media transfer as Baileys makes it: https, with WhatsApp Web's Origin header. */
export function isWaMediaRequest(input: Parameters<Fetch>[0], init?: RequestInit): boolean {
  const url = input instanceof Request ? input.url : String(input)
  return url.startsWith('https://') && originOf(input, init) === DEFAULT_ORIGIN
}

/**
 * The `tls` init for a media request when extra CAs are trusted (the built-in roots plus those CAs), else undefined.
 * For gateway code that fetches media itself: `fetch(url, { headers, tls: mediaTls() })`.
 */
export function mediaTls(): { ca: string[] } | undefined {
  const state = (globalThis.fetch as Wrapped)[WRAPPED]
  return state?.cas.size ? { ca: [...rootCertificates, ...state.cas] } : undefined
}

/** Trusts `caPem` for WhatsApp media transfers; returns a function that undoes it. */
export function trustMediaCa(caPem: string): () => void {
  if (!/-----BEGIN CERTIFICATE-----/.test(caPem)) throw new Error('the media CA must be a PEM certificate')
  let current = globalThis.fetch as Wrapped
  if (!current[WRAPPED]) {
    const original = current
    const cas = new Set<string>()
    const wrapped = ((input: Parameters<Fetch>[0], init?: RequestInit) => {
      if (!cas.size || !isWaMediaRequest(input, init)) return original(input, init)
      const tls = (init as { tls?: Record<string, unknown> } | undefined)?.tls
      return original(input, { ...init, tls: { ...tls, ca: [...rootCertificates, ...cas] } } as RequestInit)
    }) as Wrapped
    Object.assign(wrapped, { preconnect: original.preconnect, [WRAPPED]: { original, cas } })
    globalThis.fetch = wrapped
    current = wrapped
  }
  const cas = current[WRAPPED]!.cas
  const added = !cas.has(caPem)
  cas.add(caPem)
  return () => {
    if (added) cas.delete(caPem)
  }
}
