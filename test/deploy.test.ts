// deploy/: the systemd unit is one systemd itself accepts.
import { expect, it } from 'bun:test'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

it('deploy/wagate.service passes systemd-analyze verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wagate-unit-'))
  // verify checks that ExecStart's program exists: point it at this test's bun instead of /usr/local/bin/wagate.
  const unit = readFileSync(join(import.meta.dir, '..', 'deploy', 'wagate.service'), 'utf8')
  expect(unit).toContain('ExecStart=/usr/local/bin/wagate serve ')
  writeFileSync(join(dir, 'wagate.service'), unit.replaceAll('/usr/local/bin/wagate', process.execPath))
  const p = Bun.spawnSync(['systemd-analyze', 'verify', join(dir, 'wagate.service')], { stderr: 'pipe' })
  expect(p.stderr.toString()).toBe('')
  expect(p.exitCode).toBe(0)
})
