// The egress policy as pure functions: which addresses are refused, what the allow list lets through, and
// URL validation with an injected resolver. Nothing here opens a connection or sends a DNS query.
import { describe, expect, it } from 'bun:test'
import { createEgress, EgressError, parseAllowList, refusedRange } from '../../src/media/egress.ts'
import { tableLookup } from '../helpers/lookup.ts'

describe('refusedRange', () => {
  const cases: [string, string | null][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'cloud metadata'],
    ['168.63.129.16', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456:789a::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fec0::1', 'site-local'],
    ['ff02::1', 'multicast'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['::127.0.0.1', 'loopback (embedded IPv4 127.0.0.1)'],
    ['64:ff9b::a00:1', 'private (embedded IPv4 10.0.0.1)'],
    ['2002:7f00:1::', 'loopback (embedded IPv4 127.0.0.1)'],
    ['2002:a9fe:a9fe::1', 'cloud metadata (embedded IPv4 169.254.169.254)'],
    ['8.8.8.8', null],
    ['93.184.216.34', null],
    ['172.32.0.1', null],
    ['100.128.0.1', null],
    ['::ffff:8.8.8.8', null],
    ['64:ff9b::808:808', null],
    ['2606:4700:4700::1111', null],
    ['not an address', 'invalid'],
  ]
  for (const [address, range] of cases) {
    it(`${address} → ${range ?? 'allowed'}`, () => {
      expect(refusedRange(address)).toBe(range)
    })
  }
})

describe('URL forms of the loopback address', () => {
  // WHATWG URL parsing normalises decimal, octal, hex and short IPv4 forms before the policy sees the host.
  for (const url of [
    'http://2130706433/',
    'http://017700000001/',
    'http://0x7f.1/',
    'http://127.1/',
    'http://0177.0.0.1/',
    'http://[::ffff:127.0.0.1]/',
    'http://[0:0:0:0:0:0:0:1]/',
  ]) {
    it(`refuses ${url}`, async () => {
      const err = await createEgress({ lookup: tableLookup({}) })
        .checkUrl(url)
        .catch((e: unknown) => e)
      expect(err).toBeInstanceOf(EgressError)
      expect((err as EgressError).reason).toBe('refused')
      expect((err as EgressError).message).toContain('loopback')
    })
  }
})

describe('parseAllowList', () => {
  it('takes CIDRs, addresses and host names', () => {
    const { allow, problems } = parseAllowList(' 127.0.0.0/8, ::1 ,[fd00::]/8, 10.1.2.3, Hooks.Internal., localhost')
    expect(problems).toEqual([])
    expect(allow.cidrs.map((c) => c.bits)).toEqual([104, 128, 8, 128])
    expect([...allow.hosts]).toEqual(['hooks.internal', 'localhost'])
  })

  it('reports every entry it cannot read', () => {
    expect(parseAllowList('10.0.0.0/33,http://x,a b,::1/129,ok.test').problems).toEqual([
      '"10.0.0.0/33" is not a host name, an IP address or a CIDR',
      '"http://x" is not a host name, an IP address or a CIDR',
      '"a b" is not a host name, an IP address or a CIDR',
      '"::1/129" is not a host name, an IP address or a CIDR',
    ])
  })
})

describe('refusal with an allow list', () => {
  const egress = createEgress({ allow: parseAllowList('127.0.0.0/8,::1,hooks.internal').allow })

  it('allows a listed CIDR, in its IPv4-mapped form too', () => {
    expect(egress.refusal('127.0.0.1')).toBeNull()
    expect(egress.refusal('::ffff:127.0.0.2')).toBeNull()
    expect(egress.refusal('::1')).toBeNull()
  })

  it('still refuses what the list does not name', () => {
    expect(egress.refusal('10.0.0.1')).toBe('10.0.0.1 is a private address')
    expect(egress.refusal('169.254.169.254')).toBe('169.254.169.254 is a cloud metadata address')
  })

  it('allows any address of a listed host name, and only for that name', () => {
    expect(egress.refusal('10.0.0.1', 'hooks.internal')).toBeNull()
    expect(egress.refusal('10.0.0.1', 'HOOKS.internal.')).toBeNull()
    expect(egress.refusal('10.0.0.1', 'other.internal')).toBe('10.0.0.1 is a private address')
  })

  it('refuses nothing public', () => {
    expect(createEgress().refusal('93.184.216.34')).toBeNull()
  })
})

describe('checkUrl', () => {
  const lookup = tableLookup({
    'public.test': ['93.184.216.34'],
    'inside.test': ['10.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'mixed.test': ['93.184.216.34', '127.0.0.1'],
    'v6.test': ['::1'],
  })
  const egress = createEgress({ lookup })
  const reject = (url: string) =>
    egress.checkUrl(url).then(
      () => null,
      (e: EgressError) => [e.reason, e.message],
    )

  it('accepts a public address and a name resolving to one', async () => {
    expect(await reject('https://93.184.216.34/hook')).toBeNull()
    expect(await reject('https://public.test/hook')).toBeNull()
  })

  it('accepts a name that does not resolve now (it is checked on every connection)', async () => {
    expect(await reject('https://nowhere.test/hook')).toBeNull()
  })

  it('refuses private and metadata addresses', async () => {
    expect(await reject('http://10.0.0.1/')).toEqual(['refused', '10.0.0.1 is a private address'])
    expect(await reject('http://169.254.169.254/latest/meta-data/')).toEqual([
      'refused',
      '169.254.169.254 is a cloud metadata address',
    ])
    expect(await reject('http://[fd00:ec2::254]/')).toEqual(['refused', 'fd00:ec2::254 is a cloud metadata address'])
  })

  it('refuses a name resolving to a refused address, even when another of its addresses is public', async () => {
    expect(await reject('https://inside.test/x')).toEqual([
      'refused',
      'inside.test resolves to 10.0.0.1, a private address',
    ])
    expect(await reject('https://metadata.test/x')).toEqual([
      'refused',
      'metadata.test resolves to 169.254.169.254, a cloud metadata address',
    ])
    expect((await reject('https://mixed.test/x'))?.[0]).toBe('refused')
    expect((await reject('https://v6.test/x'))?.[0]).toBe('refused')
  })

  it('refuses a URL that is not http(s)', async () => {
    expect(await reject('ftp://public.test/x')).toEqual(['invalid_url', 'not an http(s) URL'])
    expect(await reject('not a url')).toEqual(['invalid_url', 'not a valid URL'])
  })
})
