// What every part of the simulator shares, and the one error type the control API maps to its envelope.
import type { Logger } from 'pino'
import type { AppState } from './app-state.ts'
import type { Channels } from './channels.ts'
import type { ClientMessages } from './client-messages.ts'
import type { Contacts } from './contacts.ts'
import type { Delivery } from './delivery.ts'
import type { Faults } from './faults.ts'
import type { GroupMessages } from './group-messages.ts'
import type { Groups } from './groups.ts'
import type { MediaHost } from './media/host.ts'
import type { MediaRetries } from './media/retry.ts'
import type { Network } from './network.ts'
import type { Pairing } from './pairing.ts'
import type { Pki } from './pki.ts'

export interface SimContext {
  net: Network
  delivery: Delivery
  clientMessages: ClientMessages
  channels: Channels
  groups: Groups
  groupMessages: GroupMessages
  contacts: Contacts
  appState: AppState
  pairing: Pairing
  faults: Faults
  pki: Pki
  /** The HTTPS media host (uploads, downloads, media_conn). */
  media: MediaHost
  /** Media the phones sent, for re-upload requests (and GET …/sent's mediaRetries). */
  retries: MediaRetries
  log: Logger
  /** Marks a logged-in connection ready for traffic (after its key-bundle checks). */
  markReady(connId: number): void
}

export type SimErrorCode = 'validation_error' | 'forbidden' | 'not_found' | 'conflict' | 'gone' | 'timeout'

const STATUS: Record<SimErrorCode, number> = {
  validation_error: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  timeout: 504,
}

export class SimError extends Error {
  readonly status: number
  constructor(
    readonly code: SimErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
    this.status = STATUS[code]
  }
}
