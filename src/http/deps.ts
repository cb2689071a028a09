// What the HTTP layer is given: built services, never constructed here.
import type { Authenticator } from '../auth/authenticator.ts'
import type { SseHub } from '../events/sse.ts'
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
  /** Largest media file a send may carry (the send route's body limit follows it); none: the general limit. */
  mediaMaxBytes?: number
  docs: boolean
  /** The live stream hub; server.ts passes its own to close streams before stopping. Default: a new one. */
  eventHub?: SseHub
}
