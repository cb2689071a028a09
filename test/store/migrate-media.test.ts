// The media half of migrate-to-postgres (src/cli/migrate-media.ts) on a real directory: files checked against the
// database's rows, copied with progress, skipped when an earlier run copied them, and reported when missing or
// damaged; without --media-to the operator is told the directory stays and must be shared.
import { Database } from 'bun:sqlite'
import { afterAll, beforeEach, describe, expect, it } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { copyMedia } from '../../src/cli/migrate-media.ts'

const root = mkdtempSync(join(tmpdir(), 'wagate-migrate-media-'))
const dataDir = join(root, 'data')
const to = join(root, 'shared')
let sqlite: Database
let lines: string[]
const log = (l: string) => void lines.push(l)
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

/** A stored file: its row, and (unless `onDisk` is false) its bytes under DATA_DIR/media. */
function file(bytes: Buffer, onDisk: Buffer | false = bytes) {
  const s = sha(bytes)
  sqlite.run('INSERT INTO media_files (sha256, size) VALUES (?, ?)', [s, bytes.length])
  if (onDisk) {
    mkdirSync(join(dataDir, 'media', s.slice(0, 2)), { recursive: true })
    writeFileSync(join(dataDir, 'media', s.slice(0, 2), s), onDisk)
  }
  return s
}

beforeEach(() => {
  rmSync(root, { recursive: true, force: true })
  mkdirSync(join(dataDir, 'media'), { recursive: true })
  sqlite = new Database(':memory:')
  sqlite.run('CREATE TABLE media_files (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL)')
  lines = []
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('migrate-to-postgres media', () => {
  it('copies every recorded file to --media-to with progress, and a second run copies nothing again', async () => {
    const files = Array.from({ length: 5 }, () => randomBytes(2_000))
    for (const b of files) file(b)
    const first = await copyMedia({ sqlite, dataDir, to, log, every: 2 })
    expect(first).toMatchObject({ files: 5, bytes: 10_000, copied: 5, alreadyThere: 0, missing: [], damaged: [] })
    for (const b of files) expect(readFileSync(join(to, sha(b).slice(0, 2), sha(b))).equals(b)).toBe(true)
    expect(readdirSync(join(to, 'tmp'))).toEqual([])
    expect(lines).toEqual([
      `media: copying 5 files (0.0 MB) from ${join(dataDir, 'media')} to ${to}`,
      'media: 2/5 files (0.0 MB/0.0 MB)…',
      'media: 4/5 files (0.0 MB/0.0 MB)…',
      `media: 5 files copied to ${to}, 0 already there; every node must use ${to} as its DATA_DIR/media`,
    ])
    const again = await copyMedia({ sqlite, dataDir, to, log: () => {} })
    expect(again).toMatchObject({ copied: 0, alreadyThere: 5 })
  })

  it('reports files missing or damaged in the data dir, and copies neither', async () => {
    const good = file(randomBytes(100))
    const gone = file(randomBytes(100), false)
    const bad = file(randomBytes(100), randomBytes(100)) // same size, other bytes
    const result = await copyMedia({ sqlite, dataDir, to, log })
    expect(result).toMatchObject({ files: 3, copied: 1, missing: [gone], damaged: [bad] })
    expect(existsSync(join(to, good.slice(0, 2), good))).toBe(true)
    expect(existsSync(join(to, bad.slice(0, 2), bad))).toBe(false)
    expect(existsSync(join(to, gone.slice(0, 2), gone))).toBe(false)
    expect(lines.at(-1)).toContain('1 missing and 1 damaged in')
  })

  it('without --media-to copies nothing and says the directory must be shared by every node', async () => {
    file(randomBytes(10))
    const result = await copyMedia({ sqlite, dataDir, to: null, log })
    expect(result).toMatchObject({ files: 1, copied: 0, to: null })
    expect(existsSync(to)).toBe(false)
    expect(lines.at(-1)).toBe(
      `media: 1 files stay in ${join(dataDir, 'media')}, not copied; every node must use that directory as its ` +
        'DATA_DIR/media (a shared volume), or copy them with --media-to DIR',
    )
  })

  it('--media-to naming the data dir’s own media directory copies nothing', async () => {
    file(randomBytes(10))
    const result = await copyMedia({ sqlite, dataDir, to: join(dataDir, 'media'), log })
    expect(result).toMatchObject({ files: 1, copied: 0, alreadyThere: 0, to: null })
    expect(lines.at(-1)).toBe(`media: 1 files already in ${join(dataDir, 'media')}, nothing to copy`)
  })
})
