// API key minting and verification: the secret is matched against the stored SHA-256 only.
import { describe, expect, it } from 'bun:test'
import { mintApiKey, parseApiKey, secretMatches } from '../../src/auth/api-key.ts'

describe('API key secrets', () => {
  const minted = mintApiKey()
  const { secret } = parseApiKey(minted.key)!

  it('a minted key matches its stored hash', () => {
    expect(secretMatches(secret, minted.hash)).toBe(true)
  })

  it('a secret differing in its last character does not match', () => {
    const other = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A')
    expect(secretMatches(other, minted.hash)).toBe(false)
  })

  it("another key's hash does not match", () => {
    expect(secretMatches(secret, mintApiKey().hash)).toBe(false)
  })

  it('a stored hash of the wrong length does not match (and does not throw)', () => {
    expect(secretMatches(secret, minted.hash.slice(0, 62))).toBe(false)
  })
})
