// A Bun macro: imported `with { type: 'macro' }`, it runs when the importing file is transpiled (by `bun run`
// and by `bun build --compile`), so the bundled dashboard is inlined as strings into the server and the binary.
import { join } from 'node:path'

export function dashboardAssets(): { html: string; css: string; js: string } {
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, 'build.ts')], { stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`dashboard build failed:\n${p.stderr.toString()}`)
  return JSON.parse(p.stdout.toString())
}
