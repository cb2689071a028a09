// The simulator's media host: an HTTPS server on 127.0.0.1 with a certificate from its own X.509 test CA (tls.ts),
// announced by the `media_conn` IQ. Clients upload encrypted blobs to it (Baileys' path
// /mms/<type>/<token>?auth=<media_conn auth>&token=<token>, token = base64url(sha256(blob))) and download them from
// the URL the simulator puts in messages. A blob can be marked expired (410) to exercise media re-upload.
// Started on first use, so simulators that never see media never generate keys.
import { randomBytes } from 'node:crypto'
import type { BinaryNode } from '@whiskeysockets/baileys'
import type { Server } from 'bun'
import type { Logger } from 'pino'
import { sha256 } from './crypto.ts'
import { createMediaTls, type MediaTls } from './tls.ts'

/** Announced as maxContentLengthBytes and enforced on uploads. */
const MAX_BLOB_BYTES = 512 * 1024 * 1024
const MEDIA_CONN_TTL_S = 3600

interface Blob {
  bytes: Buffer
  expired: boolean
}

export interface StoredBlob {
  /** `/v/t62.7118-24/<id>.enc?…`: what messages carry as directPath. */
  directPath: string
  /** `https://127.0.0.1:<port><directPath>&mms3=true`: what messages carry as url. */
  url: string
}

export class MediaHost {
  private tls?: MediaTls
  private server?: Server<undefined>
  /** Blobs by path (the query is not part of the key: real hosts sign it, here it is decoration). */
  private readonly blobs = new Map<string, Blob>()
  private readonly authTokens = new Set<string>()

  constructor(private readonly log: Logger) {}

  /** PEM of the CA that signs the media host's certificate. */
  get caPem(): string {
    this.tls ??= createMediaTls()
    return this.tls.caPem
  }

  /** `127.0.0.1:<port>`, starting the HTTPS server on first use. */
  get hostname(): string {
    if (!this.server) {
      this.tls ??= createMediaTls()
      this.server = Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        maxRequestBodySize: MAX_BLOB_BYTES,
        tls: { cert: this.tls.certPem, key: this.tls.keyPem },
        fetch: (req) => this.handle(req),
      })
    }
    return `127.0.0.1:${this.server.port}`
  }

  /** The `media_conn` answer: a fresh auth token and this host. */
  mediaConn(): BinaryNode[] {
    const auth = randomBytes(24).toString('base64')
    this.authTokens.add(auth)
    return [
      {
        tag: 'media_conn',
        attrs: { auth, ttl: String(MEDIA_CONN_TTL_S), auth_ttl: String(MEDIA_CONN_TTL_S), max_buckets: '12' },
        content: [{ tag: 'host', attrs: { hostname: this.hostname, maxContentLengthBytes: String(MAX_BLOB_BYTES) } }],
      },
    ]
  }

  /** Stores an encrypted blob under a new path. */
  put(bytes: Buffer, expired = false): StoredBlob {
    const path = `/v/t62.7118-24/${randomBytes(12).toString('hex')}_n.enc`
    this.blobs.set(path, { bytes, expired })
    return this.located(path)
  }

  /** The same bytes under a new, live path (what a phone's re-upload amounts to). */
  reupload(directPath: string): StoredBlob | undefined {
    const blob = this.blobs.get(pathOf(directPath))
    return blob ? this.put(blob.bytes) : undefined
  }

  /** The blob a directPath or url names, whether or not it is expired. */
  get(pathOrUrl: string): Buffer | undefined {
    return this.blobs.get(pathOf(pathOrUrl))?.bytes
  }

  expire(pathOrUrl: string): boolean {
    const blob = this.blobs.get(pathOf(pathOrUrl))
    if (blob) blob.expired = true
    return !!blob
  }

  async stop(): Promise<void> {
    await this.server?.stop(true)
  }

  private located(path: string): StoredBlob {
    const directPath = `${path}?ccb=11-4&oh=01_${randomBytes(16).toString('hex')}&oe=${(Math.floor(Date.now() / 1000) + 14 * 86400).toString(16).toUpperCase()}&_nc_sid=5e03e0`
    return { directPath, url: `https://${this.hostname}${directPath}&mms3=true` }
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    if (req.method === 'POST' && /^\/mms\/[a-z-]+\/[^/]+$/.test(url.pathname)) return this.upload(req, url)
    if (req.method === 'GET') return this.download(req, url)
    return Response.json({ error: 'not found' }, { status: 404 })
  }

  private async upload(req: Request, url: URL): Promise<Response> {
    const auth = url.searchParams.get('auth')
    if (!auth || !this.authTokens.has(auth)) return Response.json({ error: 'bad auth' }, { status: 401 })
    const token = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1))
    const bytes = Buffer.from(await req.arrayBuffer())
    if (sha256(bytes).toString('base64url') !== token) {
      this.log.warn({ path: url.pathname }, 'simulator media: upload token is not the sha256 of the body')
      return Response.json({ error: 'token does not match the body' }, { status: 400 })
    }
    const stored = this.put(bytes)
    return Response.json({ url: stored.url, direct_path: stored.directPath })
  }

  private download(req: Request, url: URL): Response {
    const blob = this.blobs.get(url.pathname)
    if (!blob) return new Response('not found', { status: 404 })
    if (blob.expired) return new Response('gone', { status: 410 })
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.get('range') ?? '')
    if (!range) return new Response(blob.bytes, { headers: { 'content-type': 'application/octet-stream' } })
    const size = blob.bytes.length
    const start = Number(range[1])
    const end = Math.min(range[2] ? Number(range[2]) : size - 1, size - 1)
    if (start >= size || start > end)
      return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } })
    return new Response(blob.bytes.subarray(start, end + 1), {
      status: 206,
      headers: { 'content-type': 'application/octet-stream', 'content-range': `bytes ${start}-${end}/${size}` },
    })
  }
}

/** The path part of a directPath or url. */
function pathOf(pathOrUrl: string): string {
  return new URL(pathOrUrl, 'https://media.invalid').pathname
}
