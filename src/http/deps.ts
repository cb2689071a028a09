// What the HTTP layer is given: built services, never constructed here.
import type { Authenticator } from '../auth/authenticator.ts'
import type { SseOptions } from '../events/sse.ts'
import type { Logger } from '../log.ts'
import type { SessionEngine } from '../sessions/engine.ts'
import type { Stores } from '../store/index.ts'

export type HttpDeps = {
  stores: Stores
  engine: SessionEngine
  authenticate: Authenticator
  logger: Logger
  version: string
  maxBodyBytes: number
  docs: boolean
  /** Live stream tuning (heartbeat, per-client buffer); defaults are for production. */
  eventStream?: SseOptions
}
