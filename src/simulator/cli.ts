// `wagate simulator [--port 7000] [--control-port 7001] [--seed-accounts N] [--keep-messages N]`: runs the
// simulator until SIGINT/SIGTERM. Prints one JSON line on stdout ({wsUrl, controlUrl, rootPublicKey}) for scripts
// and a human line on stderr.
import { writeFileSync } from 'node:fs'
import pino from 'pino'
import { applyProcessPatches } from '../whatsapp/process-patches.ts'
import { startSimulator } from './index.ts'
import { DEFAULT_KEEP_MESSAGES } from './message-log.ts'

const HELP = `Usage: wagate simulator [options]

A local WhatsApp network on 127.0.0.1 that Baileys connects to through waWebSocketUrl.

Options:
  --port N            WebSocket port (default 7000; 0 picks a free one)
  --control-port N    control API port (default 7001; 0 picks a free one)
  --seed-accounts N   create accounts 15550000001… at start (default 0)
  --keep-messages N   messages each phone keeps of those it sent and of those it received, for the control API's
                      listings, quotes, edits and revokes; older ones are forgotten (default ${DEFAULT_KEEP_MESSAGES})
  --media-ca-out F    write the PEM of the media host's CA to file F (also in GET / of the control API)
  --log-level L       pino level for the simulator's log on stderr (default info, or WAGATE_LOG_LEVEL)
  -h, --help          show this help

Point the gateway at it with WAGATE_WA_URL=<wsUrl> and WAGATE_WA_ROOT_KEY=<rootPublicKey>, and for media
WAGATE_WA_MEDIA_CA=<the --media-ca-out file>.
`

function parsePort(name: string, value: string | undefined, max = 65535): number {
  const n = Number(value)
  if (value === undefined || !Number.isInteger(n) || n < 0 || n > max)
    throw new Error(`${name} needs an integer 0–${max}`)
  return n
}

function parseCount(name: string, value: string | undefined): number {
  const n = Number(value)
  if (value === undefined || value === '' || !Number.isSafeInteger(n) || n < 1)
    throw new Error(`${name} needs a positive integer`)
  return n
}

/** `logLevel` comes from WAGATE_LOG_LEVEL (read by src/config.ts); `--log-level` overrides it. */
export async function simulatorCommand(argv: string[], logLevel = 'info'): Promise<number> {
  let port = 7000
  let controlPort = 7001
  let seedAccounts = 0
  let keepMessages = DEFAULT_KEEP_MESSAGES
  let mediaCaOut: string | undefined
  try {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i]!
      const [flag, inline] = arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined]
      const value = () => inline ?? argv[++i]
      if (flag === '-h' || flag === '--help') {
        process.stdout.write(HELP)
        return 0
      } else if (flag === '--port') port = parsePort('--port', value())
      else if (flag === '--control-port') controlPort = parsePort('--control-port', value())
      else if (flag === '--log-level') logLevel = value() ?? logLevel
      else if (flag === '--seed-accounts') seedAccounts = parsePort('--seed-accounts', value(), 100_000)
      else if (flag === '--keep-messages') keepMessages = parseCount('--keep-messages', value())
      else if (flag === '--media-ca-out') mediaCaOut = value() || undefined
      else throw new Error(`unknown option ${arg}`)
    }
  } catch (err) {
    process.stderr.write(`wagate simulator: ${(err as Error).message}\n\n${HELP}`)
    return 2
  }
  const logger = pino({ level: logLevel }, pino.destination(2))
  // libsignal prints session housekeeping (with key material) on the console; in the simulator's own process
  // that goes to our logger at debug level instead, as in the gateway.
  applyProcessPatches(logger)
  let sim
  try {
    sim = await startSimulator({ port, controlPort, seedAccounts, keepMessages, logger })
  } catch (err) {
    process.stderr.write(`wagate simulator: could not start: ${(err as Error).message}\n`)
    return 1
  }
  if (mediaCaOut) {
    try {
      writeFileSync(mediaCaOut, sim.mediaCa)
    } catch (err) {
      process.stderr.write(`wagate simulator: cannot write ${mediaCaOut}: ${(err as Error).message}\n`)
      await sim.stop()
      return 1
    }
  }
  const urls = { wsUrl: sim.wsUrl, controlUrl: sim.controlUrl, rootPublicKey: sim.rootPublicKey }
  process.stdout.write(JSON.stringify(mediaCaOut ? { ...urls, mediaCaFile: mediaCaOut } : urls) + '\n')
  process.stderr.write(
    `wagate simulator: WhatsApp on ${sim.wsUrl}, control API on ${sim.controlUrl}, root key ${sim.rootPublicKey}` +
      (seedAccounts ? `, ${seedAccounts} seed accounts` : '') +
      '\n',
  )
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done)
      process.off('SIGTERM', done)
      resolve()
    }
    process.on('SIGINT', done)
    process.on('SIGTERM', done)
  })
  await sim.stop()
  process.stderr.write('wagate simulator: stopped\n')
  return 0
}

if (import.meta.main) {
  process.exit(await simulatorCommand(process.argv.slice(2)))
}
