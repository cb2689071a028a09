// `startSimulator()`: a local WhatsApp network on 127.0.0.1 that the real Baileys connects to through its
// `waWebSocketUrl`, plus the JSON control API that scripts it. See control/ for the API, pki.ts for the trust root.
import pino, { type Logger } from 'pino'
import { AppState } from './app-state.ts'
import { Channels } from './channels.ts'
import { Contacts } from './contacts.ts'
import { ContentBuilder } from './content.ts'
import { serveControl, type ControlServer } from './control/index.ts'
import type { SimContext } from './context.ts'
import { ClientMessages } from './client-messages.ts'
import { Delivery } from './delivery.ts'
import { Faults } from './faults.ts'
import { GroupMessages } from './group-messages.ts'
import { Groups } from './groups.ts'
import { MediaHost } from './media/host.ts'
import { MediaRetries } from './media/retry.ts'
import { Network } from './network.ts'
import { Pairing } from './pairing.ts'
import { createPki } from './pki.ts'
import { Receiver } from './received.ts'
import { WaServer } from './server.ts'

export interface SimulatorOptions {
  port?: number
  controlPort?: number
  /** Creates accounts 15550000001… with default settings. */
  seedAccounts?: number
  /**
   * How many sent and how many received messages each phone keeps for GET …/sent and …/messages, quotes, edits and
   * revokes (default 100,000); older ones are forgotten, so a long benchmark's simulator stays the same size.
   */
  keepMessages?: number
  logger?: Logger
}

export interface Simulator {
  wsUrl: string
  controlUrl: string
  /** Base64 of the 32-byte Curve25519 root key (no 0x05 prefix): give it to trustRoot() / WAGATE_WA_ROOT_KEY. */
  rootPublicKey: string
  /**
   * PEM of the X.509 CA that signs the HTTPS media host's certificate: give it to trustMediaCa() (src/whatsapp/
   * media-ca.ts) / WAGATE_WA_MEDIA_CA. Generated on first read or first media use (~0.4 s of RSA key generation).
   */
  readonly mediaCa: string
  stop(): Promise<void>
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const log = opts.logger ?? pino({ level: 'silent' })
  const net = new Network(log, opts.keepMessages)
  const media = new MediaHost(log)
  const retries = new MediaRetries(media, log)
  const parts = { content: new ContentBuilder(media), receiver: new Receiver(media) }
  const delivery = new Delivery(net, { content: parts.content, retries })
  let wa: WaServer | undefined
  const contacts = new Contacts(net, delivery)
  const groups = new Groups(net, delivery, contacts)
  const channels = new Channels(net, delivery)
  const groupMessages = new GroupMessages(net, delivery, groups, parts)
  const clientMessages = new ClientMessages(net, delivery, parts.receiver, {
    group: (conn, node) => groupMessages.onClientMessage(conn, node),
    channel: (author, jid, text) => channels.clientPost(author, jid, text),
  })
  const ctx: SimContext = {
    net,
    delivery,
    clientMessages,
    channels,
    groups,
    groupMessages,
    contacts,
    appState: new AppState(net, delivery),
    pairing: new Pairing(net),
    faults: new Faults(),
    pki: createPki(),
    media,
    retries,
    log,
    markReady: (id) => wa?.markReady(id),
  }
  wa = new WaServer(ctx)
  const wsUrl = wa.listen(opts.port ?? 0)
  const rootPublicKey = ctx.pki.root.pub.toString('base64')
  let control: ControlServer
  try {
    control = serveControl(ctx, () => ({ wsUrl, rootPublicKey, mediaCa: media.caPem }), opts.controlPort ?? 0)
  } catch (err) {
    await wa.stop()
    throw err
  }
  for (let i = 1; i <= (opts.seedAccounts ?? 0); i++) {
    net.createAccount({ phone: String(15550000000 + i) })
  }
  let stopped = false
  return {
    wsUrl,
    controlUrl: control.url,
    rootPublicKey,
    get mediaCa() {
      return media.caPem
    },
    async stop() {
      if (stopped) return
      stopped = true
      await Promise.all([wa.stop(), control.stop(), media.stop()])
    },
  }
}
