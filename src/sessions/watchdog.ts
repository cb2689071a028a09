// The deaf-connection watchdog: a socket that reports `open` but receives no frames is degraded.
//
// WhatsApp answers Baileys' keepalive pings, so a healthy socket receives a frame at least every keepalive
// interval. Peers' trackers are full of sessions that show "connected" while nothing flows; Baileys' own check
// (keepalive + 5 s → 408) only fires when its timer runs. This one runs from the supervisor and reports the
// session `degraded` before the reconnect, so the API and webhooks show what happened.

export type Watchdog = { stop(): void }

export function startWatchdog(o: {
  /** Epoch ms of the last frame received. */
  lastFrameAt(): number
  deafAfterMs: number
  onDeaf(silentMs: number): void
  clock?: () => number
}): Watchdog {
  const clock = o.clock ?? Date.now
  const timer = setInterval(
    () => {
      const silent = clock() - o.lastFrameAt()
      if (silent <= o.deafAfterMs) return
      clearInterval(timer)
      o.onDeaf(silent)
    },
    Math.max(50, Math.floor(o.deafAfterMs / 4)),
  )
  return { stop: () => clearInterval(timer) }
}
