// Polling for a condition with a deadline: the one wait helper of the tests and benchmarks.

/** Polls `cond` until it returns a truthy value, which it resolves with; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  cond: () => T | Promise<T>,
  timeoutMs = 10_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await cond()
    if (v) return v as NonNullable<T>
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(everyMs)
  }
}
