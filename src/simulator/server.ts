// The WhatsApp-facing WebSocket (127.0.0.1, path /ws/chat) and one connection state machine per socket:
// Noise handshake → registration (pairing) or login → ready. Frames are processed strictly in arrival order.
import { decodeBinaryNode, encodeBinaryNode, type BinaryNode, type proto } from '@whiskeysockets/baileys'
import type { Server, ServerWebSocket } from 'bun'
import type { SimContext } from './context.ts'
import { IqHandler } from './iq.ts'
import { nowSeconds, sendStreamError, type Conn, type LinkedDevice } from './network.ts'
import { ServerNoise } from './noise.ts'
import type { Registration } from './pairing.ts'

/** Without a digest IQ (e.g. faulted), a logged-in connection still becomes ready after this long. */
const READY_FALLBACK_MS = 3000

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

interface SocketData {
  conn?: Connection
}

class Connection implements Conn {
  device?: LinkedDevice
  registration?: Registration
  ready = false
  silent = false
  closed = false
  /** The client closed the websocket: frames read before that are still handled, nothing more is sent. */
  private peerGone = false
  private stage: 'hello' | 'finish' | 'transport' = 'hello'
  private readonly noise: ServerNoise
  private queue: Promise<void> = Promise.resolve()

  constructor(
    readonly id: number,
    private readonly ws: ServerWebSocket<SocketData>,
    private readonly ctx: SimContext,
    private readonly server: WaServer,
  ) {
    this.noise = new ServerNoise(ctx.pki)
  }

  send(node: BinaryNode): void {
    if (this.closed || this.peerGone || this.silent || !this.noise.transportReady) return
    this.ws.send(this.noise.encodeFrame(encodeBinaryNode(node)))
  }

  close(hard = false): void {
    if (this.closed) return
    this.closed = true
    try {
      if (hard) this.ws.terminate()
      else this.ws.close()
    } catch {
      // Already gone.
    }
    this.server.onClosed(this)
  }

  /**
   * The client hung up. A server handles what it had already read — Baileys' logout writes its unlink IQ and
   * closes at once — so the connection closes after the frames queued before the hang-up.
   */
  onPeerClosed(): void {
    this.peerGone = true
    this.queue = this.queue.then(() => this.close())
  }

  onData(data: Uint8Array): void {
    if (this.closed || this.silent) return
    let frames: Buffer[]
    try {
      frames = this.noise.pushBytes(data)
    } catch (err) {
      this.ctx.log.warn({ err }, 'simulator: bad frame')
      this.close(true)
      return
    }
    // One frame per turn of the event loop, as a server in its own process would interleave them with everything
    // else: a burst of frames handled as one chain of promise continuations would hold the loop (timers, sockets)
    // of the process it shares with the clients under test.
    for (const frame of frames) {
      this.queue = this.queue
        .then(nextTurn)
        .then(() => this.onFrame(frame))
        .catch((err: unknown) => this.ctx.log.warn({ err, conn: this.id }, 'simulator: frame handling failed'))
    }
  }

  private async onFrame(frame: Buffer): Promise<void> {
    if (this.closed || this.silent) return
    if (this.stage === 'hello') {
      this.ws.send(this.noise.serverHello(frame))
      this.stage = 'finish'
      return
    }
    if (this.stage === 'finish') {
      const { payload, clientStatic } = this.noise.clientFinish(frame)
      this.stage = 'transport'
      if (payload.devicePairingData) this.registration = this.ctx.pairing.start(this, payload, clientStatic)
      else this.login(payload, clientStatic)
      return
    }
    const node = await decodeBinaryNode(frame)
    await this.server.dispatch(this, node)
  }

  private login(payload: proto.ClientPayload, clientStatic: Buffer): void {
    const phone = String(payload.username ?? '')
    const account = this.ctx.net.accounts.get(phone)
    const device = account?.devices.get(Number(payload.device ?? 0))
    if (!device || !device.noisePub.equals(clientStatic) || device.failNextLogin) {
      if (device) device.failNextLogin = false
      this.send({ tag: 'failure', attrs: { reason: '401', location: 'sim' } })
      this.close()
      return
    }
    const previous = device.conn
    if (previous && !previous.closed && previous !== this) {
      device.replaced++
      sendStreamError(previous, {}, [{ tag: 'conflict', attrs: { type: 'replaced' } }])
    }
    device.logins++
    device.conn = this
    this.device = device
    this.send({ tag: 'success', attrs: { t: String(nowSeconds()), lid: device.lidJid, props: '1', location: 'sim' } })
    setTimeout(() => this.ctx.markReady(this.id), READY_FALLBACK_MS).unref()
  }
}

export class WaServer {
  private readonly conns = new Map<number, Connection>()
  private readonly iq: IqHandler
  private server?: Server<SocketData>

  constructor(private readonly ctx: SimContext) {
    this.iq = new IqHandler(ctx)
  }

  listen(port: number): string {
    this.server = Bun.serve<SocketData>({
      hostname: '127.0.0.1',
      port,
      fetch: (req, server) => {
        if (new URL(req.url).pathname !== '/ws/chat') return new Response('not found', { status: 404 })
        if (server.upgrade(req, { data: {} })) return undefined
        return new Response('expected a websocket', { status: 426 })
      },
      websocket: {
        maxPayloadLength: 64 * 1024 * 1024,
        idleTimeout: 0,
        open: (ws) => {
          const conn = new Connection(this.ctx.net.nextConnId(), ws, this.ctx, this)
          ws.data.conn = conn
          this.conns.set(conn.id, conn)
        },
        message: (ws, message) => {
          const data = typeof message === 'string' ? Buffer.from(message) : message
          ws.data.conn?.onData(data)
        },
        close: (ws) => ws.data.conn?.onPeerClosed(),
      },
    })
    return `ws://127.0.0.1:${this.server.port}/ws/chat`
  }

  async stop(): Promise<void> {
    for (const c of [...this.conns.values()]) c.close(true)
    await this.server?.stop(true)
  }

  onClosed(conn: Connection): void {
    this.conns.delete(conn.id)
    conn.ready = false
    if (conn.device?.conn === conn) conn.device.conn = undefined
    if (conn.registration) this.ctx.pairing.onClosed(conn.registration)
  }

  markReady(connId: number): void {
    const conn = this.conns.get(connId)
    if (!conn || conn.ready || conn.closed || !conn.device || conn.device.conn !== conn) return
    conn.ready = true
    this.ctx.delivery.onReady(conn.device, conn)
  }

  async dispatch(conn: Connection, node: BinaryNode): Promise<void> {
    switch (node.tag) {
      case 'iq':
        if (node.attrs.type === 'result' || node.attrs.type === 'error') {
          this.ctx.pairing.onIqResult(conn.registration, node)
          return
        }
        // Not awaited: a delayed IQ (fault) must not hold up the stanzas behind it.
        void this.iq.handle(conn, node, conn.registration)
        return
      case 'message':
        await this.ctx.clientMessages.onClientMessage(conn, node)
        return
      case 'receipt':
        this.ctx.delivery.onClientReceipt(conn, node)
        return
      case 'ack':
        if (node.attrs.class === 'message' || node.attrs.class === 'notification') {
          this.ctx.delivery.onClientReceipt(conn, node)
        }
        return
      case 'presence':
      case 'chatstate':
        this.ctx.contacts.onClientStanza(conn, node)
        return
      default:
        // ib (unified_session, offline_batch), call: nothing to answer.
        return
    }
  }
}
