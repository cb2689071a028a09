// Config: flags over env over defaults, every bad field named.
import { describe, expect, it } from 'bun:test'
import { ConfigError, deprecationWarnings, loadConfig, parseFlags } from '../src/config.ts'

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const c = loadConfig({}, {})
    expect([c.dataDir, c.host, c.port, c.jwtOrgClaim, c.jwtRoleClaim]).toEqual([
      './data',
      '127.0.0.1',
      8080,
      'org_id',
      'role',
    ])
    expect(c.roleCapabilities.member).toEqual(['read', 'send'])
  })

  it('lets a flag win over the environment and the environment over the default', () => {
    const c = loadConfig(parseFlags(['--port', '9001']), { WAGATE_PORT: '9000', WAGATE_HOST: '0.0.0.0' })
    expect(c.port).toBe(9001)
    expect(c.host).toBe('0.0.0.0')
  })

  it('parses --flag=value and a JSON role map', () => {
    const c = loadConfig(parseFlags(['--data-dir=/tmp/x']), { WAGATE_ROLE_CAPABILITIES: '{"bot":["send"]}' })
    expect(c.dataDir).toBe('/tmp/x')
    expect(c.roleCapabilities).toEqual({ bot: ['send'] })
  })

  it('names every bad field at once', () => {
    let error: unknown
    try {
      loadConfig(parseFlags(['--port', 'abc', '--bogus', 'x']), {
        WAGATE_LOG_LEVEL: 'loud',
        WAGATE_JWKS_URL: 'ftp://x',
        WAGATE_ROLE_CAPABILITIES: '{"x":["fly"]}',
      })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const text = (error as ConfigError).problems.join('\n')
    for (const field of ['port', '--bogus', 'logLevel', 'jwksUrl', 'roleCapabilities']) expect(text).toContain(field)
  })

  it('takes the egress allow list from --egress-allow or WAGATE_EGRESS_ALLOW', () => {
    expect(loadConfig({}, {}).egressAllow).toBe('')
    expect(loadConfig({}, { WAGATE_EGRESS_ALLOW: '127.0.0.0/8,::1' }).egressAllow).toBe('127.0.0.0/8,::1')
    expect(loadConfig(parseFlags(['--egress-allow', 'hooks.internal']), {}).egressAllow).toBe('hooks.internal')
  })

  it('names each egress allow entry it cannot read', () => {
    const error = (() => {
      try {
        loadConfig(parseFlags(['--egress-allow', '127.0.0.0/8,10.0.0.0/40,http://x']), {})
      } catch (e) {
        return e as ConfigError
      }
    })()
    expect(error?.problems).toEqual([
      'egressAllow: "10.0.0.0/40" is not a host name, an IP address or a CIDR',
      'egressAllow: "http://x" is not a host name, an IP address or a CIDR',
    ])
  })

  it('takes the SQLite page cache in MiB from --sqlite-cache-mb or WAGATE_SQLITE_CACHE_MB, 64 by default', () => {
    expect(loadConfig({}, {}).sqliteCacheMb).toBe(64)
    expect(loadConfig({}, { WAGATE_SQLITE_CACHE_MB: '0' }).sqliteCacheMb).toBe(0)
    expect(loadConfig(parseFlags(['--sqlite-cache-mb', '256']), {}).sqliteCacheMb).toBe(256)
    expect(() => loadConfig(parseFlags(['--sqlite-cache-mb', '-1']), {})).toThrow(ConfigError)
  })

  it('reads the deprecated --send-media-max-bytes as --media-max-bytes, with a warning naming the replacement', () => {
    const flags = parseFlags(['--send-media-max-bytes', '5000'])
    expect(loadConfig(flags, {}).mediaMaxBytes).toBe(5000)
    expect(loadConfig({}, { WAGATE_SEND_MEDIA_MAX_BYTES: '6000' }).mediaMaxBytes).toBe(6000)
    expect(deprecationWarnings(flags, {})).toEqual([
      '--send-media-max-bytes / WAGATE_SEND_MEDIA_MAX_BYTES is deprecated: use --media-max-bytes / WAGATE_MEDIA_MAX_BYTES (same meaning)',
    ])
    expect(deprecationWarnings(parseFlags(['--media-max-bytes', '5000']), {})).toEqual([])
  })

  it('lets --media-max-bytes win over its deprecated alias given in the same place', () => {
    const flags = parseFlags(['--media-max-bytes', '7000', '--send-media-max-bytes', '5000'])
    expect(loadConfig(flags, {}).mediaMaxBytes).toBe(7000)
    expect(loadConfig({}, { WAGATE_MEDIA_MAX_BYTES: '7000', WAGATE_SEND_MEDIA_MAX_BYTES: '5000' }).mediaMaxBytes).toBe(
      7000,
    )
  })

  it('ignores unknown WAGATE_ variables rather than failing', () => {
    expect(loadConfig({}, { WAGATE_SOMETHING_ELSE: '1' }).port).toBe(8080)
  })

  it('takes a PostgreSQL URL from --database-url or WAGATE_DATABASE_URL', () => {
    expect(loadConfig({}, {}).databaseUrl).toBeUndefined()
    const url = 'postgres://wagate:pw@db.internal:5432/wagate'
    expect(loadConfig({}, { WAGATE_DATABASE_URL: url }).databaseUrl).toBe(url)
    expect(loadConfig(parseFlags(['--database-url', 'postgresql://db/w']), {}).databaseUrl).toBe('postgresql://db/w')
  })

  it('refuses a database URL that is not postgres:// or postgresql://, without repeating it', () => {
    const problems = (value: string) => {
      try {
        loadConfig({}, { WAGATE_DATABASE_URL: value })
      } catch (e) {
        return (e as ConfigError).problems
      }
    }
    expect(problems('mysql://root:hunter2@db/w')).toEqual([
      "databaseUrl: must be a PostgreSQL URL starting with postgres:// or postgresql:// (got 'mysql:')",
    ])
    expect(problems('db.internal:5432')).toEqual([
      "databaseUrl: must be a PostgreSQL URL starting with postgres:// or postgresql:// (got 'db.internal:')",
    ])
    expect(problems('/var/run/postgresql')).toEqual([
      'databaseUrl: must be a PostgreSQL URL starting with postgres:// or postgresql:// (got no scheme)',
    ])
    expect(problems('postgres:///wagate')).toEqual([
      'databaseUrl: the URL names no host (postgres://USER@HOST:PORT/DATABASE)',
    ])
  })

  it('lease timings default to 10 s TTL, renew every 2 s, 6 s deadline, and take flags', () => {
    const c = loadConfig({}, {})
    expect([c.leaseTtlMs, c.leaseRenewMs, c.leaseRenewDeadlineMs]).toEqual([10_000, 2_000, 6_000])
    expect(c.nodeId).toBeUndefined()
    const f = loadConfig(
      parseFlags(['--lease-ttl-ms', '4000', '--lease-renew-ms', '500', '--lease-renew-deadline-ms', '2000']),
      { WAGATE_NODE_ID: 'node-1' },
    )
    expect([f.leaseTtlMs, f.leaseRenewMs, f.leaseRenewDeadlineMs, f.nodeId]).toEqual([4000, 500, 2000, 'node-1'])
  })

  it('refuses lease timings where the renew deadline does not lie between the renew interval and the TTL', () => {
    const problems = (flags: string[]) => {
      try {
        loadConfig(parseFlags(flags), {})
      } catch (e) {
        return (e as ConfigError).problems
      }
    }
    expect(problems(['--lease-renew-deadline-ms', '12000'])).toEqual([
      'leaseRenewDeadlineMs: lease timings need --lease-renew-ms (2000) < --lease-renew-deadline-ms (12000) < --lease-ttl-ms (10000)',
    ])
    expect(problems(['--lease-renew-ms', '6000'])).toEqual([
      'leaseRenewDeadlineMs: lease timings need --lease-renew-ms (6000) < --lease-renew-deadline-ms (6000) < --lease-ttl-ms (10000)',
    ])
  })
})
