// The repositories as the rest of the gateway sees them, whichever database holds the data: every method answers
// a promise. SQLite implements them with synchronous bun:sqlite statements (src/store/*.ts, wrapped by `asyncRepo`,
// so its hot paths keep their speed); PostgreSQL implements the same types with Bun.SQL (src/store/pg/*.ts).

/** `T` with every method answering a promise of what it answered before; other members as they are. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K]
}

/**
 * The async face of a synchronous repository: each call runs at once (so writes keep the order they were made in)
 * and its result, or its exception, comes back as a settled promise.
 */
export function asyncRepo<T extends object>(repo: T): Async<T> {
  const out: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(repo)) {
    if (typeof member !== 'function') {
      out[name] = member
      continue
    }
    const fn = member as (...args: unknown[]) => unknown
    out[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn.apply(repo, args))
      } catch (e) {
        return Promise.reject(e)
      }
    }
  }
  return out as Async<T>
}
