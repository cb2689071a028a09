// Organisation ids: the one format `wagate orgs create` accepts and a login JWT's org claim must have.

/** Lowercase letters, digits, `_` and `-`; starts with a letter or digit; at most 63 characters. */
export const isOrgId = (s: unknown): s is string => typeof s === 'string' && /^[a-z0-9][a-z0-9_-]{0,62}$/.test(s)
