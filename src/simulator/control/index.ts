// The simulator's control API: JSON over HTTP on its own loopback port, one Elysia instance per resource (accounts,
// messages, channels, faults), TypeBox schemas on every body and path, errors in the gateway's envelope.
//
//   400 validation_error — malformed body, phone (6–15 digits) or path (a bad percent-escape too)
//   404 not_found        — unknown route, account, channel, QR, or no client waiting for a pairing code
//   409 conflict         — account exists; pairing rejected (bad device signature, wrong pairing code, client left)
//   410 gone             — the QR is known but expired (its ref rotated out, the client disconnected, or it was used)
//   504 timeout          — the client did not confirm pairing within 20 s
// Lists are {"data":[...]}. Times are epoch milliseconds. README "The simulator" documents every route.
import { Elysia } from 'elysia'
import type { Server } from 'bun'
import type { SimContext } from '../context.ts'
import { accountRoutes } from './accounts.ts'
import { channelRoutes } from './channels.ts'
import { chatRoutes } from './chats.ts'
import { contactRoutes } from './contacts.ts'
import { errorPlugin } from './errors.ts'
import { faultRoutes } from './faults.ts'
import { groupRoutes } from './groups.ts'
import { messageRoutes } from './messages.ts'

export interface ControlInfo {
  wsUrl: string
  rootPublicKey: string
  /** PEM of the media host's CA. */
  mediaCa: string
}

/** Media bodies arrive base64 in JSON; leave room for a few hundred MB. */
const MAX_BODY_BYTES = 1024 * 1024 * 1024

export function controlApp(ctx: SimContext, info: () => ControlInfo) {
  return new Elysia()
    .use(errorPlugin(ctx.log))
    .get('/', () => info())
    .use(accountRoutes(ctx))
    .use(messageRoutes(ctx))
    .use(channelRoutes(ctx))
    .use(faultRoutes(ctx))
    .use(groupRoutes(ctx))
    .use(contactRoutes(ctx))
    .use(chatRoutes(ctx))
}

export interface ControlServer {
  url: string
  stop(): Promise<void>
}

export function serveControl(ctx: SimContext, info: () => ControlInfo, port: number): ControlServer {
  const app = controlApp(ctx, info)
  const server: Server<undefined> = Bun.serve({
    hostname: '127.0.0.1',
    port,
    maxRequestBodySize: MAX_BODY_BYTES,
    // No idle cut: a client's pooled keep-alive connection closed by the server just as the client reuses it is an
    // ECONNRESET on that request (seen linking 1,000 accounts on a loaded machine, scripts/bench/memory.ts).
    idleTimeout: 0,
    fetch: (req) => app.handle(req),
  })
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop(true) }
}
