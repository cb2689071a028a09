// Event type patterns, as webhooks and the pull/stream filters take them: `message.received`,
// `message.*` (a prefix up to a dot) and `*` (everything).

/** True for a syntactically valid pattern: dot-separated names, optionally ending in `.*`, or `*`. */
export const isPattern = (p: string) => p === '*' || /^[a-z][a-z_]*(\.[a-z][a-z_]*)*(\.\*)?$/.test(p)

/** Internal types that only reach the one webhook they were made for (`:test`), never a pattern. */
export const isInternalType = (type: string) => type.startsWith('webhook.')

/**
 * Compiles patterns into a predicate. An empty list matches every public type.
 * @example matcher(['message.*'])('message.received') // true
 */
export function matcher(patterns: readonly string[]): (type: string) => boolean {
  if (!patterns.length || patterns.includes('*')) return (type) => !isInternalType(type)
  const exact = new Set(patterns.filter((p) => !p.endsWith('.*')))
  const prefixes = patterns.filter((p) => p.endsWith('.*')).map((p) => p.slice(0, -1))
  return (type) => !isInternalType(type) && (exact.has(type) || prefixes.some((pre) => type.startsWith(pre)))
}
