// The simulator's control API: plain JSON over HTTP on its own port, routed by a table.
//
// Errors use the gateway's envelope {"error":{"code","message","details"}}:
//   400 validation_error — malformed body or phone (phones are 6–15 digits)
//   404 not_found        — unknown account, channel, QR, or no client waiting for a pairing code
//   409 conflict         — account exists; pairing rejected (bad device signature, wrong pairing code, client left)
//   410 gone             — the QR is known but expired (its ref rotated out, the client disconnected, or it was used)
//   504 timeout          — the client did not confirm pairing within 20 s
// Lists are {"data":[...]}. Times are epoch milliseconds.
//
// Kick reasons (POST /accounts/{phone}/devices:kick), applied to every linked device of the account:
//   restart → <stream:error code=515> (client sees 515)   conflict → <conflict type=replaced> (440)
//   logged_out → <stream:error code=401><conflict type=device_removed> (401) and the device is unlinked
//   failure → <failure reason=401> now if connected (401), else the device's next login is refused once
//   drop → TCP close (428)   silence → nothing more is sent or answered, so keepalive fails (408)
// `kicked` counts the devices acted on (connected ones, plus offline ones for logged_out and failure).
import type { Server } from 'bun'
import { SimError, type SimContext } from './context.ts'
import type { HistoryInput } from './history.ts'
import { KICK_REASONS, type Account, type KickReason, type LinkedDevice, type ReceiptMode } from './network.ts'

type Json = Record<string, unknown>
type Handler = (params: string[], body: Json) => Promise<Response> | Response

const PHONE = '(\\d{6,15})'
const json = (status: number, data: unknown) => Response.json(data, { status })

function str(body: Json, key: string, required: true): string
function str(body: Json, key: string, required?: false): string | undefined
function str(body: Json, key: string, required = false): string | undefined {
  const v = body[key]
  if (v === undefined || v === null) {
    if (required) throw new SimError('validation_error', `${key} is required`, { field: key })
    return undefined
  }
  if (typeof v !== 'string') throw new SimError('validation_error', `${key} must be a string`, { field: key })
  return v
}

function phoneOf(body: Json, key: string): string {
  const v = body[key]
  const s = typeof v === 'number' ? String(v) : v
  if (typeof s !== 'string' || !/^\d{6,15}$/.test(s)) {
    throw new SimError('validation_error', `${key} must be 6–15 digits`, { field: key })
  }
  return s
}

export class ControlApi {
  private server?: Server<undefined>
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }>

  constructor(
    private readonly ctx: SimContext,
    private readonly info: () => { wsUrl: string; rootPublicKey: string },
    /** Routes built on Elysia (groups, contacts, chats): asked when no route of the table matches the path. */
    private readonly more?: { handle(req: Request): Promise<Response> },
  ) {
    this.routes = [
      { method: 'GET', pattern: /^\/$/, handler: () => json(200, this.info()) },
      { method: 'POST', pattern: /^\/accounts$/, handler: (_p, b) => this.createAccount(b) },
      {
        method: 'GET',
        pattern: /^\/accounts$/,
        handler: () => json(200, { data: [...ctx.net.accounts.values()].map((a) => this.accountView(a)) }),
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/accounts/${PHONE}$`),
        handler: ([p]) => json(200, this.accountView(this.account(p))),
      },
      { method: 'POST', pattern: new RegExp(`^/accounts/${PHONE}:scan$`), handler: ([p], b) => this.scan(p, b) },
      {
        method: 'POST',
        pattern: new RegExp(`^/accounts/${PHONE}:linkWithCode$`),
        handler: ([p], b) => this.linkWithCode(p, b),
      },
      {
        method: 'POST',
        pattern: new RegExp(`^/accounts/${PHONE}/messages$`),
        handler: ([p], b) => this.sendMessage(p, b),
      },
      {
        method: 'GET',
        pattern: new RegExp(`^/accounts/${PHONE}/messages$`),
        handler: ([p]) => json(200, { data: this.account(p).inbox }),
      },
      { method: 'GET', pattern: new RegExp(`^/accounts/${PHONE}/sent$`), handler: ([p]) => this.sent(p) },
      {
        method: 'POST',
        pattern: new RegExp(`^/accounts/${PHONE}/devices:kick$`),
        handler: ([p], b) => this.kick(p, b),
      },
      { method: 'POST', pattern: /^\/channels$/, handler: (_p, b) => this.createChannel(b) },
      { method: 'GET', pattern: /^\/channels\/([^/]+)$/, handler: ([j]) => json(200, this.channelView(j)) },
      { method: 'POST', pattern: /^\/channels\/([^/]+)\/posts$/, handler: ([j], b) => this.post(j, b) },
      { method: 'GET', pattern: /^\/faults$/, handler: () => json(200, { data: ctx.faults.list() }) },
      { method: 'POST', pattern: /^\/faults$/, handler: (_p, b) => this.addFault(b) },
      { method: 'DELETE', pattern: /^\/faults$/, handler: () => (ctx.faults.clear(), json(200, { cleared: true })) },
    ]
  }

  listen(port: number): string {
    this.server = Bun.serve({ hostname: '127.0.0.1', port, fetch: (req) => this.handle(req) })
    return `http://127.0.0.1:${this.server.port}`
  }

  async stop(): Promise<void> {
    await this.server?.stop(true)
  }

  private async handle(req: Request): Promise<Response> {
    const path = decodeURIComponent(new URL(req.url).pathname)
    if (this.more && !this.routes.some((r) => r.pattern.test(path))) return this.more.handle(req)
    try {
      let pathMatched = false
      for (const r of this.routes) {
        const m = r.pattern.exec(path)
        if (!m) continue
        pathMatched = true
        if (r.method !== req.method) continue
        let body: Json = {}
        if (req.method === 'POST') {
          const text = await req.text()
          if (text) {
            const parsed: unknown = JSON.parse(text)
            if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
              throw new SimError('validation_error', 'body must be a JSON object')
            }
            body = parsed as Json
          }
        }
        return await r.handler(m.slice(1).map(String), body)
      }
      throw new SimError('not_found', pathMatched ? `method ${req.method} not allowed here` : `no route ${path}`)
    } catch (err) {
      if (err instanceof SyntaxError) return this.error(new SimError('validation_error', 'body is not valid JSON'))
      if (err instanceof SimError) return this.error(err)
      this.ctx.log.error({ err }, 'simulator control API error')
      return json(500, { error: { code: 'internal', message: String((err as Error).message), details: {} } })
    }
  }

  private error(e: SimError): Response {
    return json(e.status, { error: { code: e.code, message: e.message, details: e.details } })
  }

  private account(phone: string | undefined): Account {
    const a = phone ? this.ctx.net.accounts.get(phone) : undefined
    if (!a) throw new SimError('not_found', `account ${phone} not found`)
    return a
  }

  private deviceView(d: LinkedDevice) {
    return { id: d.id, jid: d.jid, lid: d.lidJid, state: this.ctx.net.deviceState(d) }
  }

  private accountView(a: Account) {
    return {
      phone: a.phone,
      jid: a.jid,
      lid: a.lid,
      name: a.name,
      receipts: a.receipts,
      devices: [...a.devices.values()].map((d) => this.deviceView(d)),
    }
  }

  private createAccount(b: Json): Response {
    const phone = phoneOf(b, 'phone')
    const receipts = str(b, 'receipts') ?? 'read'
    if (!['none', 'delivered', 'read'].includes(receipts)) {
      throw new SimError('validation_error', 'receipts must be none, delivered or read', { field: 'receipts' })
    }
    const history = b.history as HistoryInput | undefined
    if (history !== undefined && (typeof history !== 'object' || !Array.isArray(history?.chats))) {
      throw new SimError('validation_error', 'history must be {chats:[...]}', { field: 'history' })
    }
    if (this.ctx.net.accounts.has(phone)) throw new SimError('conflict', `account ${phone} already exists`)
    const a = this.ctx.net.createAccount({ phone, name: str(b, 'name'), receipts: receipts as ReceiptMode, history })
    return json(201, { phone: a.phone, jid: a.jid, lid: a.lid, name: a.name })
  }

  private async scan(phone: string | undefined, b: Json): Promise<Response> {
    const account = this.account(phone)
    const device = await this.ctx.pairing.scan(account, str(b, 'qr', true))
    return json(200, { device: this.deviceView(device) })
  }

  private async linkWithCode(phone: string | undefined, b: Json): Promise<Response> {
    const account = this.account(phone)
    const device = await this.ctx.pairing.linkWithCode(account, str(b, 'code', true))
    return json(200, { device: this.deviceView(device) })
  }

  private sendMessage(phone: string | undefined, b: Json): Response {
    const from = this.account(phone)
    const to = this.ctx.net.accounts.get(phoneOf(b, 'to'))
    if (!to) throw new SimError('not_found', `account ${String(b.to)} not found`)
    const undecryptable = b.undecryptable === true
    const text = undecryptable ? (str(b, 'text') ?? '') : str(b, 'text', true)
    const count = b.count
    if (count !== undefined && (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 10000)) {
      throw new SimError('validation_error', 'count must be an integer 1–10000', { field: 'count' })
    }
    const sent = this.ctx.delivery.sendText(from, to, { text, quotedId: str(b, 'quotedId'), count, undecryptable })
    return count === undefined ? json(201, sent[0]) : json(201, { data: sent })
  }

  private sent(phone: string | undefined): Response {
    const a = this.account(phone)
    const data = a.sent.map((s) => ({
      id: s.id,
      to: s.to,
      text: s.text,
      timestamp: s.timestamp,
      devices: [...s.devices].map(([jid, state]) => ({ jid, state })),
    }))
    return json(200, { data })
  }

  private kick(phone: string | undefined, b: Json): Response {
    const a = this.account(phone)
    const reason = str(b, 'reason', true) as KickReason
    if (!KICK_REASONS.includes(reason)) {
      throw new SimError('validation_error', `reason must be one of ${KICK_REASONS.join(', ')}`, { field: 'reason' })
    }
    return json(200, { kicked: this.ctx.net.kick(a, reason) })
  }

  private createChannel(b: Json): Response {
    const name = str(b, 'name', true)
    const owner = b.owner === undefined ? undefined : this.account(phoneOf(b, 'owner'))
    const c = this.ctx.channels.create({ name, description: str(b, 'description'), owner })
    return json(201, { jid: c.jid })
  }

  private channel(jid: string | undefined) {
    const c = jid ? this.ctx.channels.byJid.get(jid) : undefined
    if (!c) throw new SimError('not_found', `channel ${jid} not found`)
    return c
  }

  private channelView(jid: string | undefined) {
    const c = this.channel(jid)
    return {
      jid: c.jid,
      name: c.name,
      description: c.description,
      owner: c.owner?.phone ?? null,
      followers: [...c.followers],
      muted: [...c.muted],
    }
  }

  private post(jid: string | undefined, b: Json): Response {
    const post = this.ctx.channels.post(this.channel(jid), str(b, 'text', true))
    return json(201, { id: post.id, serverId: post.serverId })
  }

  private addFault(b: Json): Response {
    const action = str(b, 'action', true)
    if (action !== 'delay' && action !== 'fail')
      throw new SimError('validation_error', 'action must be delay or fail', { field: 'action' })
    const num = (k: string, def: number | undefined) => {
      const v = b[k]
      if (v === undefined) return def
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw new SimError('validation_error', `${k} must be a non-negative integer`, { field: k })
      return v
    }
    const rule = {
      xmlns: str(b, 'xmlns'),
      type: str(b, 'type'),
      action: action as 'delay' | 'fail',
      ms: num('ms', 1000) ?? 1000,
      code: num('code', 500) ?? 500,
      count: num('count', undefined),
    }
    this.ctx.faults.add(rule)
    return json(201, rule)
  }
}
