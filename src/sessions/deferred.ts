// A supervisor built on first use. The real one loads Baileys, libsignal and WhatsApp's protobuf definitions, which
// took 40 % of the binary's cold start (bun --cpu-prof: ~650 of 1,690 ms under load) although a gateway answers
// its first requests without them. Until a session needs a socket nothing here has loaded: a call that needs the
// supervisor loads it (once, shared by concurrent callers), then runs on it; `restore` loads it only when some
// session is to run. This file must not import Baileys, even indirectly: only types from the supervisor.
import type { Logger } from '../log.ts'
import type { Supervisor } from './supervisor.ts'

/** The methods that simply wait for the real supervisor: all but restore, shutdown and the synchronous two. */
type Deferrable = Exclude<keyof Supervisor, 'drop' | 'live' | 'restore' | 'shutdown'>

/** The list is checked against `Supervisor` by the compiler: a method added there and missed here fails typecheck. */
const forwarded: Record<Deferrable, true> = {
  start: true,
  stop: true,
  restart: true,
  logout: true,
  remove: true,
  qr: true,
  requestPairingCode: true,
  send: true,
  react: true,
  edit: true,
  revoke: true,
  forward: true,
  createChannel: true,
  followChannel: true,
  unfollowChannel: true,
  muteChannel: true,
  createGroup: true,
  refreshGroup: true,
  updateGroup: true,
  groupParticipants: true,
  groupInvite: true,
  joinGroup: true,
  leaveGroup: true,
  checkPhones: true,
  contactPicture: true,
  setBlocked: true,
  setPresence: true,
  sendTyping: true,
  subscribePresence: true,
  chatAction: true,
  acquire: true,
  release: true,
}

export type DeferredOptions = {
  /** Builds the real supervisor (a dynamic import of everything it needs). */
  load(): Promise<Supervisor>
  /** Ids of the sessions a boot restore would start, read without loading anything. */
  running(): Promise<string[]> | string[]
  logger: Logger
}

export function deferSupervisor(o: DeferredOptions): Supervisor {
  let loading: Promise<Supervisor> | null = null
  let loaded: Supervisor | null = null
  const real = () =>
    (loading ??= o.load().then(
      (s) => (loaded = s),
      (err: unknown) => {
        o.logger.error({ err }, 'loading the session engine failed')
        throw err
      },
    ))
  const methods = Object.fromEntries(
    Object.keys(forwarded).map((name) => [
      name,
      async (...args: unknown[]) => {
        const s = loaded ?? (await real())
        return (s[name as Deferrable] as (...a: unknown[]) => unknown)(...args)
      },
    ]),
  ) as Pick<Supervisor, Deferrable>
  return {
    ...methods,
    async restore() {
      if (!loading && !(await o.running()).length) return
      await (await real()).restore()
    },
    async shutdown() {
      // Never loaded: no socket, no sender, no download was ever started.
      if (loading) await (await real()).shutdown()
    },
    // Without the real supervisor there is no live session to end or to look at; while it loads, the drop follows
    // the calls made before it (an `acquire` waiting for the load), in the order they were made.
    drop(id) {
      if (loaded) loaded.drop(id)
      else if (loading)
        void loading.then(
          (s) => s.drop(id),
          () => {},
        )
    },
    live: (id) => loaded?.live(id) ?? null,
  }
}
