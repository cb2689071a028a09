// Bundles the dashboard with Bun's bundler. Run as a script it prints {html, css, js} as JSON: the embed
// macro (embed.ts) spawns it, because Bun.build cannot run inside a macro while the bundler waits on it.
import { join } from 'node:path'

export async function buildDashboard() {
  const dir = import.meta.dir
  const result = await Bun.build({
    entrypoints: [join(dir, 'client', 'main.ts')],
    target: 'browser',
    format: 'esm',
    // Syntax only: readable in the browser's devtools, and the house rule forbids identifier minification.
    minify: { syntax: true, whitespace: false, identifiers: false },
  })
  if (!result.success) throw new AggregateError(result.logs, 'dashboard bundle failed')
  return {
    html: await Bun.file(join(dir, 'index.html')).text(),
    css: await Bun.file(join(dir, 'app.css')).text(),
    js: await result.outputs[0]!.text(),
  }
}

if (import.meta.main) process.stdout.write(JSON.stringify(await buildDashboard()))
