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
  private readonly byKey = new Map<string, T>()
  // Insertion order in a ring: once full, `head` is the oldest slot, overwritten by the next add. The Map alone kept
  // order too, but finding its oldest entry (`keys().next()`) walks past every entry deleted since the Map last
  // rehashed: in the soak that made eviction 41 % of the simulator's samples after 8 minutes.
  private readonly keys: string[] = []
  private readonly items: T[] = []
  private head = 0

  constructor(readonly limit = DEFAULT_KEEP_MESSAGES) {}

  get size(): number {
    return this.items.length
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
    if (this.items.length < this.limit) {
      this.keys.push(key)
      this.items.push(item)
      return true
    }
    this.byKey.delete(this.keys[this.head]!)
    this.keys[this.head] = key
    this.items[this.head] = item
    this.head = (this.head + 1) % this.limit
    return true
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const n = this.items.length
    for (let i = 0; i < n; i++) yield this.items[(this.head + i) % n]!
  }

  toArray(): T[] {
    return [...this]
  }
}
