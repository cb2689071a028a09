// IP address arithmetic for the egress policy: addresses as 16 bytes (IPv4 as IPv4-mapped IPv6, so
// `::ffff:127.0.0.1` and `127.0.0.1` are one value), CIDR matching, and the table of ranges a tenant's URL may
// never reach. Pure functions; nothing here resolves or connects.
import { isIPv4, isIPv6 } from 'node:net'

export type Cidr = { base: Uint8Array; bits: number }

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]

function parseV4(s: string): number[] | null {
  if (!isIPv4(s)) return null
  return s.split('.').map(Number)
}

/** Parses an IPv4 or IPv6 literal (no brackets; a `%zone` suffix is ignored) into 16 bytes, or null. */
export function parseIp(input: string): Uint8Array | null {
  const s = input.replace(/%.*$/, '')
  const v4 = parseV4(s)
  if (v4) return Uint8Array.from([...V4_MAPPED_PREFIX, ...v4])
  if (!isIPv6(s)) return null
  // An embedded dotted quad (::ffff:1.2.3.4) becomes two hex groups first.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  let text = s
  if (dotted) {
    const q = parseV4(dotted[1]!)
    if (!q) return null
    text =
      s.slice(0, -dotted[1]!.length) + `${((q[0]! << 8) | q[1]!).toString(16)}:${((q[2]! << 8) | q[3]!).toString(16)}`
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : [])
  const h = groups(head)
  const t = groups(tail)
  const all = tail === undefined ? h : [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t]
  if (all.length !== 8) return null
  const out = new Uint8Array(16)
  all.forEach((g, i) => {
    out[2 * i] = g >> 8
    out[2 * i + 1] = g & 0xff
  })
  return out
}

/** `10.0.0.0/8`, `fc00::/7`, or a single address (all its bits). IPv4 prefixes count within the mapped form. */
export function parseCidr(s: string): Cidr | null {
  const [addr, len, extra] = s.split('/')
  if (extra !== undefined || !addr) return null
  const base = parseIp(addr)
  if (!base) return null
  const v4 = isIPv4(addr)
  const max = v4 ? 32 : 128
  if (len !== undefined && !/^\d{1,3}$/.test(len)) return null
  const bits = len === undefined ? max : Number(len)
  if (bits > max) return null
  return { base, bits: v4 ? bits + 96 : bits }
}

export function inCidr(addr: Uint8Array, c: Cidr): boolean {
  const whole = c.bits >> 3
  for (let i = 0; i < whole; i++) if (addr[i] !== c.base[i]) return false
  const rest = c.bits & 7
  if (!rest) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return (addr[whole]! & mask) === (c.base[whole]! & mask)
}

/** Ranges refused by default, first match wins (so the metadata addresses are named before link-local). */
const REFUSED: [string, string][] = [
  ['169.254.169.254', 'cloud metadata'],
  ['168.63.129.16', 'cloud metadata'],
  ['fd00:ec2::254', 'cloud metadata'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001::/32', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'unique-local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]
const refused = REFUSED.map(([cidr, label]) => ({ cidr: parseCidr(cidr)!, label }))

/** IPv6 forms that carry an IPv4 address: classified by the address they carry. */
const EMBEDDING: { cidr: Cidr; at: number }[] = [
  { cidr: parseCidr('::/96')!, at: 12 }, // IPv4-compatible (deprecated)
  { cidr: parseCidr('::ffff:0:0:0/96')!, at: 12 }, // IPv4-translated
  { cidr: parseCidr('64:ff9b::/96')!, at: 12 }, // NAT64
  { cidr: parseCidr('2002::/16')!, at: 2 }, // 6to4
]

/**
 * Why `address` (an IP literal) is refused by default — `loopback`, `private`, `link-local`, `cloud metadata`, … —
 * or null for an ordinary public address. An unparseable address is refused as `invalid`.
 */
export function refusedRange(address: string): string | null {
  const bytes = parseIp(address)
  if (!bytes) return 'invalid'
  for (const r of refused) if (inCidr(bytes, r.cidr)) return r.label
  for (const e of EMBEDDING) {
    if (!inCidr(bytes, e.cidr)) continue
    const inner = bytes.subarray(e.at, e.at + 4).join('.')
    const label = refusedRange(inner)
    return label && `${label} (embedded IPv4 ${inner})`
  }
  return null
}
