// The SessionEngine a cluster node gives its HTTP layer: every call about a session whose lease this node holds runs
// on the local engine; any other goes to the lease holder through the command bus (commands.ts) and answers what the
// holder's engine answered, its AppError included. With no holder (no live lease):
// - start / restart record desired state `running` (the lease round of some node takes the session and starts it),
// - stop / logout write the stopped state themselves under the lease row's lock (commands-unowned.ts),
// - requestPairingCode marks the session to run and waits for a node to take it, then asks that node,
// - qr answers null (no node is showing one), remove has nothing to close,
// - everything else (sends, channel, group, contact and chat actions) is 409 `session_not_connected`, as on one node.
//
// Sends are routed like the rest although the queue is durable: accepting one is the session's own write (fenced by
// its lease, the message stored `pending` with its event and queue row in one transaction) and wakes the sender of
// the node that runs it, so the owner accepts it. A multipart upload does not travel: the receiving node moves the
// file into the media store (staged, like any upload) and sends its hash; the nodes share DATA_DIR/media (as they
// must anyway, to serve media any node downloaded), and the owner refuses with 503 when the file is not there.
import type { SQL } from 'bun'
import { existsSync } from 'node:fs'
import { AppError } from '../errors.ts'
import type { SessionEngine, Upload } from '../sessions/engine.ts'
import { CommandBus, defaultCommandTimings, type CommandTimings } from './commands.ts'
import { pgUnowned, type Unowned } from './commands-unowned.ts'

export type RoutingOptions = {
  sql: SQL
  nodeId: string
  /** Whether this node holds the session's lease now (LeaseManager.ref(id) !== undefined). */
  holds(sessionId: string): boolean
  /** This node's engine, for the sessions it holds. */
  local: SessionEngine
  /** The media store, to check a routed upload's file is on the shared storage. */
  media?: { path(sha256: string): string | null } | null
  /** Asks the lease manager for a round now, so a session marked to run starts before the next tick. */
  kick?: () => void
  timings?: Partial<CommandTimings>
  /** How long requestPairingCode waits for a node to take a session nobody ran. */
  ownerWaitMs?: number
  onError?: (e: unknown) => void
  /** The writes for sessions nobody runs (default: on `sql`). */
  unowned?: Unowned
}

export type Routing = {
  engine: SessionEngine
  bus: CommandBus
  /** Starts serving commands addressed to this node; before the node takes leases. */
  start(): Promise<void>
  /** Stops taking commands and waits for the ones running; after the node handed its sessions over. */
  stop(): Promise<void>
}

type Op = Exclude<keyof SessionEngine, 'restore' | 'shutdown'>
type Method<K extends Op> = SessionEngine[K]
type Result<K extends Op> = Awaited<ReturnType<Method<K>>>

/** Every operation a node runs for another; restore and shutdown are a node's own business. */
export const routedOps = [
  'start',
  'stop',
  'restart',
  'logout',
  'remove',
  'qr',
  'requestPairingCode',
  'send',
  'react',
  'edit',
  'revoke',
  'forward',
  'createChannel',
  'followChannel',
  'unfollowChannel',
  'muteChannel',
  'createGroup',
  'refreshGroup',
  'updateGroup',
  'groupParticipants',
  'groupInvite',
  'joinGroup',
  'leaveGroup',
  'checkPhones',
  'contactPicture',
  'setBlocked',
  'setPresence',
  'sendTyping',
  'subscribePresence',
  'chatAction',
] as const satisfies readonly Op[]
const OPS = new Set<string>(routedOps)

/** An upload as it crosses nodes: the file is in the shared media store, named by its hash. */
type WireUpload = {
  sha256: string
  size: number
  mime: string
  filename: string | null
  type: string | null
  options: Upload['options']
}

/** The answer of a node that no longer holds the session: the caller looks the holder up again. */
const NOT_OWNER = 'not_owner'
/** How often a caller looks the holder up again after a `not_owner` answer before treating it as no holder. */
const REROUTES = 3

const notConnected = () => new AppError('session_not_connected', 'session is not connected')

export function createCommandRouting(o: RoutingOptions): Routing {
  const { local } = o
  const unowned = o.unowned ?? pgUnowned(o.sql)
  const ownerWaitMs = o.ownerWaitMs ?? 10_000
  const bus = new CommandBus(
    o.sql,
    o.nodeId,
    serve,
    { ...defaultCommandTimings, ...o.timings },
    o.onError ?? (() => {}),
  )

  /** Runs a command another node sent: only for a session this node holds. */
  async function serve(sessionId: string, op: string, args: unknown[]): Promise<unknown> {
    if (!OPS.has(op)) throw new AppError('not_implemented', `this node does not know the command ${op}`)
    if (!o.holds(sessionId)) throw new AppError('conflict', 'this node does not run the session', { [NOT_OWNER]: true })
    if (op === 'send') args = [args[0], args[1] ? uploadOf(args[1] as WireUpload) : null]
    return await (local[op as Op] as (id: string, ...a: unknown[]) => Promise<unknown>)(sessionId, ...args)
  }

  function uploadOf(w: WireUpload): Upload {
    const path = o.media?.path(w.sha256)
    if (o.media && !(path && existsSync(path)))
      throw new AppError(
        'unavailable',
        "the uploaded file is not in the media store of the node running this session: every node must share the data directory's media folder",
      )
    const stored = { sha256: w.sha256, size: w.size }
    return {
      file: { ...stored, type: w.mime, keep: async () => stored, discard: () => {} },
      filename: w.filename,
      type: w.type,
      options: w.options,
    }
  }

  /** The local engine's answer, or the holder's; null when no node holds the session. */
  async function attempt<K extends Op>(
    op: K,
    sessionId: string,
    rest: unknown[],
  ): Promise<{ value: Result<K> } | null> {
    for (let i = 0; ; i++) {
      if (o.holds(sessionId))
        return { value: await (local[op] as (id: string, ...a: unknown[]) => Promise<Result<K>>)(sessionId, ...rest) }
      try {
        const answer = await bus.call(sessionId, op, rest)
        return answer && { value: answer.value as Result<K> }
      } catch (e) {
        // The lease moved between the lookup and the holder's check (a hand-over): look it up again.
        if (!(e instanceof AppError && e.details[NOT_OWNER] === true)) throw e
        if (i + 1 >= REROUTES) return null
        await Bun.sleep(50)
      }
    }
  }

  /** Operations that need the live socket: with no holder, `session_not_connected`. */
  function live<K extends Op>(op: K) {
    return (async (sessionId: string, ...rest: unknown[]) => {
      const answer = await attempt(op, sessionId, rest)
      if (!answer) throw notConnected()
      return answer.value
    }) as unknown as Method<K>
  }

  async function markRunning(sessionId: string) {
    await unowned.run(sessionId)
    o.kick?.()
  }

  /** Stop and logout: the holder does it, or (no holder) the database write; retried if a node took the lease. */
  async function settle(op: 'stop' | 'logout', sessionId: string): Promise<void> {
    for (let i = 0; i < REROUTES; i++) {
      if (await attempt(op, sessionId, [])) return
      if (await unowned[op](sessionId)) return
    }
    throw new AppError('unavailable', 'the session is changing nodes: retry')
  }

  const engine: SessionEngine = {
    async start(sessionId) {
      if (!(await attempt('start', sessionId, []))) await markRunning(sessionId)
    },
    async restart(sessionId) {
      if (!(await attempt('restart', sessionId, []))) await markRunning(sessionId)
    },
    stop: (sessionId) => settle('stop', sessionId),
    logout: (sessionId) => settle('logout', sessionId),
    async remove(sessionId) {
      await attempt('remove', sessionId, [])
    },
    async qr(sessionId) {
      return (await attempt('qr', sessionId, []))?.value ?? null
    },
    async requestPairingCode(sessionId, phone) {
      const first = await attempt('requestPairingCode', sessionId, [phone])
      if (first) return first.value
      await markRunning(sessionId)
      const until = Date.now() + ownerWaitMs
      while (Date.now() < until) {
        await Bun.sleep(200)
        const answer = await attempt('requestPairingCode', sessionId, [phone])
        if (answer) return answer.value
      }
      throw new AppError('conflict', 'the session did not reach the pairing step')
    },
    async send(sessionId, input, upload) {
      if (o.holds(sessionId)) return local.send(sessionId, input, upload)
      // The file moves into the (shared) store now, staged: the holder's accepted message becomes its holder.
      const wire: WireUpload | null = upload
        ? {
            ...(await upload.file.keep()),
            mime: upload.file.type,
            filename: upload.filename,
            type: upload.type,
            options: upload.options,
          }
        : null
      const answer = await attempt('send', sessionId, [input, wire])
      if (!answer) throw notConnected()
      return answer.value
    },
    react: live('react'),
    edit: live('edit'),
    revoke: live('revoke'),
    forward: live('forward'),
    createChannel: live('createChannel'),
    followChannel: live('followChannel'),
    unfollowChannel: live('unfollowChannel'),
    muteChannel: live('muteChannel'),
    createGroup: live('createGroup'),
    refreshGroup: live('refreshGroup'),
    updateGroup: live('updateGroup'),
    groupParticipants: live('groupParticipants'),
    groupInvite: live('groupInvite'),
    joinGroup: live('joinGroup'),
    leaveGroup: live('leaveGroup'),
    checkPhones: live('checkPhones'),
    contactPicture: live('contactPicture'),
    setBlocked: live('setBlocked'),
    setPresence: live('setPresence'),
    sendTyping: live('sendTyping'),
    subscribePresence: live('subscribePresence'),
    chatAction: live('chatAction'),
    restore: () => local.restore(),
    shutdown: () => local.shutdown(),
  }

  return { engine, bus, start: () => bus.start(), stop: () => bus.stop() }
}
