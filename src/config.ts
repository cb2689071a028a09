// One typed Config, read once: command-line flags > WAGATE_* environment > defaults, validated with TypeBox.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Capability } from './domain/capability.ts'
import { parseAllowList } from './media/egress.ts'

export const Config = Type.Object({
  dataDir: Type.String({ minLength: 1, default: './data', description: 'Directory holding the database and key file' }),
  databaseUrl: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'PostgreSQL URL (postgres:// or postgresql://): serve runs as a cluster node on it (SQLite in the data dir without it)',
    }),
  ),
  nodeId: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9._-]{1,100}$',
      description:
        'Name of this node in the cluster (with --database-url; default HOST-PID-RANDOM, new at every start)',
    }),
  ),
  leaseTtlMs: Type.Integer({
    minimum: 1000,
    maximum: 600_000,
    default: 10_000,
    description: 'How long a renewed session lease stays valid (with --database-url): the failover time after a crash',
  }),
  leaseRenewMs: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 2_000,
    description: 'How often a node renews its leases and rebalances (with --database-url)',
  }),
  leaseRenewDeadlineMs: Type.Integer({
    minimum: 200,
    maximum: 600_000,
    default: 6_000,
    description:
      'A node without a successful renewal for this long stops its sessions (with --database-url); must lie between --lease-renew-ms and --lease-ttl-ms',
  }),
  host: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Address the HTTP server binds' }),
  port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'HTTP port (0 picks a free one)' }),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info', description: 'pino log level' },
  ),
  jwksUrl: Type.Optional(Type.String({ pattern: '^https?://', description: 'Frontend JWKS URL for login JWTs' })),
  jwksFile: Type.Optional(Type.String({ minLength: 1, description: 'A JWKS JSON file, for offline use' })),
  jwtIssuer: Type.Optional(Type.String({ minLength: 1, description: 'Required `iss` of login JWTs' })),
  jwtAudience: Type.Optional(Type.String({ minLength: 1, description: 'Required `aud` of login JWTs' })),
  jwtClockToleranceSeconds: Type.Integer({
    minimum: 0,
    maximum: 300,
    default: 30,
    description: 'Seconds of clock difference allowed on login JWTs (exp, nbf, iat)',
  }),
  jwtOrgClaim: Type.String({ minLength: 1, default: 'org_id', description: 'Claim holding the organisation id' }),
  jwtRoleClaim: Type.String({ minLength: 1, default: 'role', description: 'Claim holding the role' }),
  roleCapabilities: Type.Record(Type.String(), Type.Array(Capability), {
    default: {
      owner: ['read', 'send', 'manage', 'admin'],
      admin: ['read', 'send', 'manage', 'admin'],
      member: ['read', 'send'],
      viewer: ['read'],
    },
    description: 'JSON map from role to capabilities',
  }),
  secretKey: Type.Optional(
    Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: '32-byte hex key encrypting secrets at rest' }),
  ),
  waUrl: Type.String({
    pattern: '^wss?://',
    default: 'wss://web.whatsapp.com/ws/chat',
    description: 'WhatsApp Web socket URL (the simulator prints its own)',
  }),
  waRootKey: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9+/]{43}=$',
      description: 'Base64 of the 32-byte Curve25519 root key to trust (the simulator prints its own)',
    }),
  ),
  waMediaCa: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        "PEM file of an extra CA to trust for WhatsApp media hosts (the simulator's, for tests; never needed for WhatsApp)",
    }),
  ),
  watchdogSilenceMs: Type.Integer({
    minimum: 0,
    default: 75_000,
    description: 'A connected session that receives no frame for this long is degraded and reconnected (0: off)',
  }),
  restoreConcurrency: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 8,
    description: 'Sessions reconnecting at once when the gateway starts (each a WhatsApp login)',
  }),
  restoreStaggerMs: Type.Integer({
    minimum: 0,
    maximum: 60_000,
    default: 20,
    description: 'Least time between two session reconnects when the gateway starts',
  }),
  maxBodyBytes: Type.Integer({ minimum: 1024, default: 1048576, description: 'Largest accepted request body' }),
  rateLimit: Type.Number({
    minimum: 0,
    default: 20,
    description: 'API requests per second each API key or login user may make, sustained (0: no limit)',
  }),
  rateBurst: Type.Integer({
    minimum: 1,
    default: 100,
    description: 'API requests each API key or login user may make at once after being idle',
  }),
  maxStreamsPerOrg: Type.Integer({
    minimum: 0,
    default: 20,
    description: 'Live event streams (SSE) an organisation may hold open at once (0: no limit)',
  }),
  maxWebhooksPerOrg: Type.Integer({
    minimum: 0,
    default: 50,
    description: 'Webhooks an organisation may have (0: no limit)',
  }),
  eventRetentionDays: Type.Number({ exclusiveMinimum: 0, default: 7, description: 'Days events are kept' }),
  sqliteCacheMb: Type.Integer({
    minimum: 0,
    default: 64,
    description:
      "SQLite's page cache for the store, in MiB (filled only as pages are read or written; 0: SQLite's 2 MiB)",
  }),
  webhookRetrySchedule: Type.String({
    pattern: '^\\d+(\\.\\d+)?(,\\d+(\\.\\d+)?)*$',
    default: '5,30,120,600,1800,3600,10800,21600,43200',
    description: 'Seconds between webhook attempts (comma-separated); after the last the delivery fails',
  }),
  webhookTimeoutMs: Type.Integer({ minimum: 100, default: 10000, description: 'Timeout of one webhook request' }),
  webhookConcurrency: Type.Integer({
    minimum: 1,
    maximum: 256,
    default: 8,
    description: 'Requests in flight per webhook',
  }),
  docs: Type.Boolean({ default: true, description: 'Serve /docs and /openapi.json' }),
  metricsToken: Type.Optional(
    Type.String({ minLength: 16, description: 'Bearer token /metrics requires (none: /metrics is open)' }),
  ),
  mediaAutoDownload: Type.String({
    pattern: '^(none|(image|video|audio|document|sticker)(,(image|video|audio|document|sticker))*)$',
    default: 'image,video,audio,document,sticker',
    description: 'Inbound media kinds downloaded on arrival (comma-separated, or none)',
  }),
  mediaMaxBytes: Type.Integer({
    minimum: 1,
    default: 104_857_600,
    description:
      'Largest media file, both ways: bigger inbound media is recorded as skipped, a bigger upload or send answers 413',
  }),
  mediaRetentionDays: Type.Optional(
    Type.Number({ exclusiveMinimum: 0, description: 'Days media files are kept (default: kept until deleted)' }),
  ),
  sendMinGapMs: Type.Integer({
    minimum: 0,
    default: 2000,
    description: 'Least time between two sends of a session (pacing against automated-sending bans)',
  }),
  sendJitterMs: Type.Integer({ minimum: 0, default: 3000, description: 'Random extra time added to each gap' }),
  sendTyping: Type.Boolean({ default: true, description: 'Show "typing…" before a text, for its length' }),
  sendQueueMax: Type.Integer({
    minimum: 1,
    default: 1000,
    description: 'Operations a session may have queued; more answer 429 rate_limited',
  }),
  egressAllow: Type.String({
    default: '',
    description:
      'Comma-separated hosts and CIDRs webhooks and media URLs may reach although private, loopback or link-local ' +
      '(e.g. 127.0.0.0/8,::1 for a receiver on this machine)',
  }),
})
export type Config = Static<typeof Config>

const jsonFields = new Set(['roleCapabilities'])

/** Old option names still read as their replacement (a warning at start says so); the new name wins over the old. */
const DEPRECATED: Record<string, keyof Config> = { sendMediaMaxBytes: 'mediaMaxBytes' }

const flagName = (k: string) => `--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`

/** One warning per deprecated option given (flag or environment), naming its replacement. */
export function deprecationWarnings(
  flags: Record<string, string>,
  env: Record<string, string | undefined> = process.env,
): string[] {
  const given = new Set([...Object.keys(envValues(env)), ...Object.keys(flags)])
  return Object.entries(DEPRECATED)
    .filter(([old]) => given.has(old))
    .map(
      ([old, now]) =>
        `${flagName(old)} / ${envName(old)} is deprecated: use ${flagName(now)} / ${envName(now)} (same meaning)`,
    )
}

const camel = (s: string) => s.toLowerCase().replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** `--data-dir x` / `--data-dir=x` → `{ dataDir: 'x' }`; unknown flags are reported by validation. */
export function parseFlags(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (!a.startsWith('--')) continue
    const eq = a.indexOf('=')
    if (eq > 0) out[camel(a.slice(2, eq))] = a.slice(eq + 1)
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) out[camel(a.slice(2))] = argv[++i]!
    else out[camel(a.slice(2))] = 'true'
  }
  return out
}

/** Variables read by client commands (`sessions link`), not serve settings. */
const clientOnly = new Set(['WAGATE_API_KEY'])

/** `WAGATE_DATA_DIR` → `dataDir`. */
export function envValues(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('WAGATE_') && !clientOnly.has(k) && v !== undefined && v !== '') out[camel(k.slice(7))] = v
  }
  return out
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

const loopbackHost = (host: string) => host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host)

/** Keys fetched over plain HTTP could be swapped on the way: only a JWKS on this machine may use it. */
function jwksUrlProblems(value: string): string[] {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return [`jwksUrl: not a URL`]
  }
  if (url.protocol === 'http:' && !loopbackHost(url.hostname))
    return ['jwksUrl: http:// is allowed only on loopback (127.0.0.0/8, [::1], localhost); use https://']
  return []
}

/** Only PostgreSQL URLs; the message never repeats the URL (it may hold a password). */
function databaseUrlProblems(value: string): string[] {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value)?.[1]
  if (!scheme || !/^postgres(ql)?$/i.test(scheme))
    return [
      `databaseUrl: must be a PostgreSQL URL starting with postgres:// or postgresql:// (got ${scheme ? `'${scheme}:'` : 'no scheme'})`,
    ]
  try {
    if (!new URL(value).hostname) return ['databaseUrl: the URL names no host (postgres://USER@HOST:PORT/DATABASE)']
  } catch {
    return ['databaseUrl: not a valid URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE)']
  }
  return []
}

/** Builds and validates the config; throws ConfigError naming every bad field. */
export function loadConfig(
  flags: Record<string, string> = {},
  env: Record<string, string | undefined> = process.env,
): Config {
  const known = new Set(Object.keys(Config.properties))
  const raw: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [source, values] of [
    ['env', envValues(env)],
    ['flag', flags],
  ] as const) {
    // A deprecated alias first, so the new name given in the same place wins.
    const entries = Object.entries(values).sort(([a], [b]) => Number(b in DEPRECATED) - Number(a in DEPRECATED))
    for (const [given, v] of entries) {
      const k = DEPRECATED[given] ?? given
      if (!known.has(k)) {
        if (source === 'flag') problems.push(`${flagName(k)}: unknown option`)
        continue
      }
      if (jsonFields.has(k)) {
        try {
          raw[k] = JSON.parse(v)
        } catch {
          problems.push(`${k}: not valid JSON`)
        }
      } else raw[k] = v
    }
  }
  // Defaults only for absent fields: Value.Default would merge a default map into a given one.
  for (const [k, schema] of Object.entries(Config.properties) as [string, { default?: unknown }][])
    if (raw[k] === undefined && schema.default !== undefined) raw[k] = structuredClone(schema.default)
  const value = Value.Convert(Config, raw)
  for (const e of Value.Errors(Config, value)) problems.push(`${e.path.slice(1) || '(root)'}: ${e.message}`)
  if (typeof raw.jwksUrl === 'string') problems.push(...jwksUrlProblems(raw.jwksUrl))
  if (typeof raw.databaseUrl === 'string') problems.push(...databaseUrlProblems(raw.databaseUrl))
  const { egressAllow, leaseTtlMs, leaseRenewMs, leaseRenewDeadlineMs } = value as Partial<Config>
  if (
    typeof leaseTtlMs === 'number' &&
    typeof leaseRenewMs === 'number' &&
    typeof leaseRenewDeadlineMs === 'number' &&
    !(leaseRenewMs < leaseRenewDeadlineMs && leaseRenewDeadlineMs < leaseTtlMs)
  )
    problems.push(
      `leaseRenewDeadlineMs: lease timings need --lease-renew-ms (${leaseRenewMs}) < --lease-renew-deadline-ms ` +
        `(${leaseRenewDeadlineMs}) < --lease-ttl-ms (${leaseTtlMs})`,
    )
  if (typeof egressAllow === 'string')
    for (const p of parseAllowList(egressAllow).problems) problems.push(`egressAllow: ${p}`)
  if (problems.length) throw new ConfigError([...new Set(problems)])
  return value as Config
}

/** Env var name of a config field, for help texts and the README. */
export const envName = (field: string) => 'WAGATE_' + field.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase()

/** The log level the environment asks for, for commands that take no full Config (the simulator). */
/** The API key `wagate sessions link` uses when no --key is given (never a serve setting). */
export const envApiKey = (env: Record<string, string | undefined> = process.env) => env.WAGATE_API_KEY || undefined

export const envLogLevel = (env: Record<string, string | undefined> = process.env) => envValues(env).logLevel ?? 'info'

/** `--media-auto-download` as a list of message types. */
export const autoDownloadKinds = (c: Pick<Config, 'mediaAutoDownload'>) =>
  c.mediaAutoDownload === 'none'
    ? []
    : (c.mediaAutoDownload.split(',') as ('image' | 'video' | 'audio' | 'document' | 'sticker')[])
