#!/usr/bin/env bun
// The `wagate` command line: parse, call, exit. Everything real is built in server.ts and the modules.
import pkg from '../package.json' with { type: 'json' }
import { isCapability } from './domain/capability.ts'
import { createKey } from './bootstrap.ts'
import {
  Config,
  ConfigError,
  deprecationWarnings,
  envApiKey,
  envLogLevel,
  envName,
  loadConfig,
  parseFlags,
} from './config.ts'
import { isOrgId } from './domain/org.ts'
import { createLogger } from './log.ts'
import { join } from 'node:path'
import { dbPath, openData, PortInUse, startServer } from './server.ts'
import { backupDatabase, BackupError } from './store/backup.ts'
import { DataDirLocked } from './store/data-dir.ts'
import { MissingReceiptHook } from './whatsapp/receipt-hook.ts'
import { makeClusterEngine, makeEngine } from './engine.ts'
import { migrate } from './store/migrate.ts'

const version = pkg.version

const configHelp = Object.entries(Config.properties)
  .map(([k, s]) => {
    const flag = '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())
    const def = 'default' in s ? ` (default ${JSON.stringify(s.default)})` : ''
    return `  ${flag.padEnd(22)} ${envName(k).padEnd(28)} ${s.description ?? ''}${def}`
  })
  .join('\n')

const help: Record<string, string> = {
  main: `wagate ${version}: a self-hosted, multi-tenant WhatsApp HTTP gateway

Usage: wagate <command> [options]

Commands:
  serve        run the gateway (HTTP API, sessions, events)
  simulator    run a local WhatsApp network for tests and CI
  keys         create | list | revoke API keys
  orgs         create | list organisations
  migrate      apply database migrations and exit
  backup       copy the database while the server runs (--out FILE)
  migrate-to-postgres  copy a SQLite data dir into an empty PostgreSQL database
  sessions     link a number from the terminal (sessions link --name NAME)
  version      print the version

Run 'wagate <command> --help' for a command's options.`,
  serve: `Usage: wagate serve [options]

Options (flag, environment variable, meaning):
${configHelp}`,
  keys: `Usage:
  wagate keys create --org ORG --name NAME --cap read,send,manage,admin [--expires-at EPOCH_MS]
      prints one JSON line {"id","key","orgId","capabilities"}; the key is never shown again
  wagate keys list [--org ORG]       one JSON line per key (never the key itself)
  wagate keys revoke --org ORG ID    the key stops working at once

Accepts --data-dir and the other serve options.`,
  orgs: `Usage:
  wagate orgs create ID [--name NAME]   prints the organisation as JSON
  wagate orgs list                      one JSON line per organisation

Accepts --data-dir and the other serve options.`,
  migrate: `Usage: wagate migrate [--data-dir DIR | --database-url postgres://…]

Applies the embedded migrations (SQLite in DATA_DIR, or the PostgreSQL database) and prints what it applied.`,
  backup: `Usage: wagate backup --out FILE [--data-dir DIR]

Writes a consistent copy of the database to FILE (mode 0600) while the server may be running, checks it,
and prints {"out","bytes","ms","tables"}. FILE must not exist. The copy does not hold the secret key:
keep DATA_DIR/secret.key (or WAGATE_SECRET_KEY) with it, and copy DATA_DIR/media for message media.`,
  'migrate-to-postgres': `Usage: wagate migrate-to-postgres --from DATA_DIR --to postgres://USER@HOST:PORT/DB [--media-to DIR]

Copies every table of the SQLite deployment in DATA_DIR (WhatsApp credentials included, still encrypted under
its secret key) into an empty PostgreSQL database: migrates it, copies in one transaction with progress on
stderr, verifies every table's row count, then prints {"tables","rows","ms","media"}. Refuses a database that
holds rows, and a data dir a running serve holds. --to defaults to --database-url / WAGATE_DATABASE_URL. The key
comes from DATA_DIR/secret.key or WAGATE_SECRET_KEY; every node using the database needs that same key.
Media files stay in DATA_DIR/media unless --media-to DIR copies them (each checked against its SHA-256, with
progress; files already there are skipped): every node must use that directory as its DATA_DIR/media.`,
  sessions: `Usage: wagate sessions link --name NAME [--url URL] [--key KEY] [--timeout SECONDS]

Links a WhatsApp number from a terminal (over SSH): finds or creates the session NAME on a running
gateway, starts it, prints each QR as text as it refreshes, and exits 0 once connected (1 when it ends
logged out or failed, or after --timeout, default 300 s). --url defaults to http://HOST:PORT of the serve
options; the key (with 'manage') comes from --key or WAGATE_API_KEY.`,
  version: 'Usage: wagate version',
}

class UsageError extends Error {}

/** Splits command-specific flags (`only`) from config flags. */
function takeFlags(argv: string[], only: string[]) {
  const flags = parseFlags(argv)
  const own: Record<string, string> = {}
  for (const k of only) {
    if (k in flags) {
      own[k] = flags[k]!
      delete flags[k]
    }
  }
  const positional = argv.filter(
    (a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1]!.startsWith('--') || argv[i - 1]!.includes('=')),
  )
  return { own, config: loadConfig(flags), positional }
}

const print = (v: unknown) => process.stdout.write(JSON.stringify(v) + '\n')

async function serve(argv: string[]): Promise<number> {
  const flags = parseFlags(argv)
  const config = loadConfig(flags)
  const logger = createLogger(config.logLevel)
  for (const warning of deprecationWarnings(flags)) logger.warn(warning)
  const { databaseUrl } = config
  // PostgreSQL: this process is one node of a cluster (README "Running several nodes"); SIGTERM drains its sessions.
  // Imported only then: the PostgreSQL client and schema are a sixth of the module evaluation of a SQLite start.
  const running = databaseUrl
    ? await (
        await import('./cluster/serve.ts')
      ).startClusterServer({ ...config, databaseUrl }, { logger, version, makeEngine: makeClusterEngine(config) })
    : await startServer(config, { logger, version, makeEngine: makeEngine(config) })
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve())
  })
  await running.stop()
  return 0
}

async function keys(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const { own, config, positional } = takeFlags(rest, ['org', 'name', 'cap', 'expiresAt'])
  const { db, repos } = openData(config)
  try {
    if (sub === 'create') {
      if (!own.org || !own.name || !own.cap) throw new UsageError('keys create needs --org, --name and --cap')
      if (!(await repos.orgs.get(own.org)))
        throw new UsageError(`no organisation '${own.org}' (wagate orgs create ${own.org})`)
      const caps = own.cap.split(',').map((c) => c.trim())
      const bad = caps.filter((c) => !isCapability(c))
      if (bad.length || !caps.length) throw new UsageError(`unknown capability: ${bad.join(', ') || '(none)'}`)
      const expiresAt = own.expiresAt ? Number(own.expiresAt) : null
      if (expiresAt !== null && !Number.isSafeInteger(expiresAt)) throw new UsageError('--expires-at takes epoch ms')
      print(
        await createKey(repos, { orgId: own.org, name: own.name, capabilities: caps.filter(isCapability), expiresAt }),
      )
    } else if (sub === 'list') {
      for (const k of await repos.apiKeys.listAll()) if (!own.org || k.orgId === own.org) print(k)
    } else if (sub === 'revoke') {
      const id = positional[0]
      if (!own.org || !id) throw new UsageError('keys revoke needs --org ORG and the key id')
      const revoked = await repos.apiKeys.revoke(own.org, id)
      if (!revoked) throw new UsageError(`no key ${id} in organisation ${own.org}`)
      print(revoked)
    } else throw new UsageError(help.keys!)
    return 0
  } finally {
    db.close()
  }
}

async function orgs(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const { own, config, positional } = takeFlags(rest, ['name'])
  const { db, repos } = openData(config)
  try {
    if (sub === 'create') {
      const id = positional[0]
      if (!isOrgId(id)) throw new UsageError('orgs create needs an id: a-z, 0-9, _ and -')
      const org = await repos.orgs.create(id, own.name ?? id)
      if (!org) throw new UsageError(`organisation '${id}' already exists`)
      print(org)
    } else if (sub === 'list') for (const o of await repos.orgs.list()) print(o)
    else throw new UsageError(help.orgs!)
    return 0
  } finally {
    db.close()
  }
}

async function migrateCommand(argv: string[]): Promise<number> {
  const { config } = takeFlags(argv, [])
  if (config.databaseUrl) {
    const { migratePg, openPg } = await import('./store/pg/db.ts')
    const pg = openPg(config.databaseUrl, { max: 1 })
    try {
      print(await migratePg(pg.sql))
      return 0
    } finally {
      await pg.close()
    }
  }
  const { db } = openData(config)
  try {
    print(migrate(db.sqlite))
    return 0
  } finally {
    db.close()
  }
}

function backup(argv: string[]): number {
  const { own, config } = takeFlags(argv, ['out'])
  if (!own.out) throw new UsageError(help.backup!)
  const source = dbPath(config.dataDir)
  process.stderr.write(`wagate backup: copying ${source} to ${own.out}…\n`)
  const result = backupDatabase(source, own.out)
  process.stderr.write(
    `wagate backup: ${(result.bytes / 1048576).toFixed(1)} MB in ${result.ms} ms, checked; ` +
      `keep the secret key (${config.secretKey ? 'WAGATE_SECRET_KEY' : join(config.dataDir, 'secret.key')}) with it\n`,
  )
  print(result)
  return 0
}

async function migrateToPostgresCommand(argv: string[]): Promise<number> {
  const { own, config } = takeFlags(argv, ['from', 'to', 'mediaTo'])
  const to = own.to ?? config.databaseUrl
  if (!own.from || !to) throw new UsageError(help['migrate-to-postgres']!)
  const log = (line: string) => process.stderr.write(`wagate migrate-to-postgres: ${line}\n`)
  const { migrateToPostgres, isRefusal } = await import('./cli/migrate-to-postgres.ts')
  try {
    const result = await migrateToPostgres({
      from: own.from,
      to,
      secretKey: config.secretKey,
      mediaTo: own.mediaTo,
      log,
    })
    log(`${result.rows} rows in ${result.ms} ms, counts verified`)
    print(result)
    return 0
  } catch (e) {
    if (!isRefusal(e)) throw e
    console.error(`wagate: ${e.message}`)
    return 1
  }
}

async function sessionsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv
  const { own, config } = takeFlags(rest, ['name', 'url', 'key', 'timeout'])
  const key = own.key ?? envApiKey()
  if (sub !== 'link' || !own.name || !key) throw new UsageError(help.sessions!)
  const timeout = own.timeout ? Number(own.timeout) : 300
  if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError('--timeout takes seconds')
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = own.url ?? `http://${host}:${config.port}`
  const { linkSession } = await import('./cli/link.ts')
  await linkSession({ url, key, name: own.name, timeoutMs: timeout * 1000 })
  return 0
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(help.main)
    return command ? 0 : 2
  }
  if ((rest.includes('--help') || rest.includes('-h')) && command !== 'simulator') {
    if (!help[command]) return main([])
    console.log(help[command])
    return 0
  }
  try {
    switch (command) {
      case 'serve':
        return await serve(rest)
      case 'simulator': {
        const { simulatorCommand } = await import('./simulator/cli.ts')
        return await simulatorCommand(rest, envLogLevel())
      }
      case 'keys':
        return await keys(rest)
      case 'orgs':
        return await orgs(rest)
      case 'migrate':
        return await migrateCommand(rest)
      case 'backup':
        return backup(rest)
      case 'sessions':
        return await sessionsCommand(rest)
      case 'migrate-to-postgres':
        return await migrateToPostgresCommand(rest)
      case 'version':
      case '--version':
        console.log(version)
        return 0
      default:
        console.error(`unknown command '${command}'\n\n${help.main}`)
        return 2
    }
  } catch (e) {
    if (
      e instanceof DataDirLocked ||
      e instanceof PortInUse ||
      e instanceof MissingReceiptHook ||
      e instanceof BackupError
    ) {
      console.error(`wagate: ${e.message}`)
      return 1
    }
    if (e instanceof ConfigError || e instanceof UsageError) {
      console.error(e.message)
      return 2
    }
    throw e
  }
}

if (import.meta.main) {
  // Whatever the gateway writes into its data dir (database, media, temp files) is for this user only.
  process.umask(0o077)
  process.exit(await main(process.argv.slice(2)))
}
