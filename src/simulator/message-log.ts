// What a phone sent or received, in order, found by key without a scan, and bounded. The soak benchmark pushes
// hundreds of thousands of messages through one phone: a dedupe scan of the inbox per message the gateway sent
// was 30 % of the simulator's CPU after 3 minutes and 67 % after 9 (scripts/bench/soak.ts with
// WAGATE_BENCH_SIM_CPU_PROF), and what a phone keeps would otherwise grow with every message.

/** Messages kept per phone and direction unless the simulator is told otherwise (`--keep-messages`). */
export const DEFAULT_KEEP_MESSAGES = 100_000

/**
 * An insertion-ordered log keyed by message: `add` refuses a key it holds, and past `limit` entries the oldest are
 * forgotten (lookups by their key then miss, and listings no longer show them).
 */
export class MessageLog<T> implements Iterable<T> {
  // A Map iterates in insertion order, so it is both the log and its index; the oldest entry is its first.
  private readonly byKey = new Map<string, T>()

  constructor(readonly limit = DEFAULT_KEEP_MESSAGES) {}

  get size(): number {
    return this.byKey.size
  }

  has(key: string): boolean {
    return this.byKey.has(key)
  }

  get(key: string): T | undefined {
    return this.byKey.get(key)
  }

  /** Appends `item` under `key`; false (and nothing changes) when `key` is already in the log. */
  add(key: string, item: T): boolean {
    if (this.byKey.has(key)) return false
    this.byKey.set(key, item)
    while (this.byKey.size > this.limit) this.byKey.delete(this.byKey.keys().next().value!)
    return true
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.byKey.values()
  }

  toArray(): T[] {
    return [...this.byKey.values()]
  }
}
