// A resolver for the egress policy over a fixed table: tests resolve names without a DNS query leaving the machine.
import type { Lookup } from '../../src/media/egress.ts'

/** Resolves names from `table`; any other name fails as unknown (ENOTFOUND). */
export const tableLookup =
  (table: Record<string, string[]>): Lookup =>
  async (host) => {
    const found = table[host]
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' })
    return found
  }
