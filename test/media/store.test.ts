// The content-addressed media store against a real SQLite file and a real directory.
import { afterAll, beforeEach, describe, expect, it } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MediaStoreError, openMediaStore, type MediaStore } from '../../src/media/store.ts'
import { openDb } from '../../src/store/db.ts'
import { createMediaRepo } from '../../src/store/media.ts'
import { orgs, sessions } from '../../src/store/schema.ts'

const root = mkdtempSync(join(tmpdir(), 'wagate-media-'))
const db = openDb(join(root, 'wagate.db'))
db.orm.insert(orgs).values({ id: 'o', name: 'o' }).run()
db.orm
  .insert(sessions)
  .values([
    { id: 's1', orgId: 'o', name: 's1' },
    { id: 's2', orgId: 'o', name: 's2' },
  ])
  .run()
const repo = createMediaRepo(db)
let now = 1_700_000_000_000
let media: MediaStore
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const h1 = { sessionId: 's1', owner: 'upload:a' }

async function* chunked(b: Uint8Array, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}

beforeEach(() => {
  db.sqlite.run('DELETE FROM media_refs')
  db.sqlite.run('DELETE FROM media_files')
  rmSync(join(root, 'media'), { recursive: true, force: true })
  media = openMediaStore({ dir: join(root, 'media'), repo, clock: () => now })
})
afterAll(() => {
  db.close()
  rmSync(root, { recursive: true, force: true })
})

describe('media store', () => {
  it('stores streamed content under its sha256 and reads the same bytes back', async () => {
    const bytes = randomBytes(300_000)
    const stored = await media.put(chunked(bytes, 65_536), { holder: h1 })
    expect(stored).toEqual({ sha256: sha(bytes), size: 300_000 })
    expect(existsSync(join(root, 'media', stored.sha256.slice(0, 2), stored.sha256))).toBe(true)
    const file = media.open(stored.sha256)!
    expect(file.size).toBe(300_000)
    expect(sha(new Uint8Array(await file.file.arrayBuffer()))).toBe(stored.sha256)
  })

  it('keeps one copy of the same content put twice', async () => {
    const bytes = randomBytes(1000)
    await media.put(bytes, { holder: h1 })
    await media.put(bytes, { holder: { sessionId: 's2', owner: 'upload:b' } })
    const s = sha(bytes)
    expect(readdirSync(join(root, 'media', s.slice(0, 2)))).toEqual([s])
    expect(media.pending()).toBe(0)
  })

  it('accepts content whose hash is the expected one', async () => {
    const bytes = randomBytes(4096)
    expect((await media.put(bytes, { expectedSha256: sha(bytes).toUpperCase(), holder: h1 })).sha256).toBe(sha(bytes))
  })

  it('stores nothing when the hash is not the expected one', async () => {
    const bytes = randomBytes(4096)
    const wrong = sha(randomBytes(8))
    const err = await media.put(bytes, { expectedSha256: wrong, holder: h1 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(MediaStoreError)
    expect((err as MediaStoreError).reason).toBe('hash_mismatch')
    expect(media.has(sha(bytes))).toBe(false)
    expect(media.pending()).toBe(0)
  })

  it('stops at the size cap and stores nothing', async () => {
    const err = await media.put(chunked(randomBytes(10_000), 1000), { maxBytes: 5000 }).catch((e: unknown) => e)
    expect((err as MediaStoreError).reason).toBe('too_large')
    expect(media.pending()).toBe(0)
    expect(db.sqlite.query('SELECT count(*) AS n FROM media_files').get()).toEqual({ n: 0 })
  })

  it('deletes a file when its last holder lets go, not before', async () => {
    const { sha256 } = await media.put(randomBytes(100), { holder: h1 })
    media.ref(sha256, 's2', 'message:7')
    media.unref(sha256, 's1', 'upload:a')
    expect(media.open(sha256)).not.toBeNull()
    media.unref(sha256, 's2', 'message:7')
    expect(media.open(sha256)).toBeNull()
    expect(existsSync(join(root, 'media', sha256.slice(0, 2), sha256))).toBe(false)
  })

  it('deleting a session deletes the files only it referenced', async () => {
    const shared = await media.put(randomBytes(100), { holder: { sessionId: 's2', owner: 'upload:x' } })
    media.ref(shared.sha256, 's2', 'upload:y')
    const own = await media.put(randomBytes(100), { holder: { sessionId: 's2', owner: 'upload:z' } })
    media.ref(shared.sha256, 's1', 'message:1')
    db.sqlite.run("DELETE FROM sessions WHERE id = 's2'")
    expect(media.sweep()).toBe(1)
    expect(media.has(shared.sha256)).toBe(true)
    expect(media.has(own.sha256)).toBe(false)
    db.orm.insert(sessions).values({ id: 's2', orgId: 'o', name: 's2' }).run()
  })

  it('retention drops holders older than the window and the files left without one', async () => {
    const old = await media.put(randomBytes(10), { holder: h1 })
    now += 3 * 86_400_000
    const fresh = await media.put(randomBytes(10), { holder: { sessionId: 's1', owner: 'upload:b' } })
    expect(media.retain(2)).toBe(1)
    expect(media.has(old.sha256)).toBe(false)
    expect(media.has(fresh.sha256)).toBe(true)
  })

  it('removes temp files a crash left behind when opened', () => {
    writeFileSync(join(root, 'media', 'tmp', 'left.part'), 'x')
    media = openMediaStore({ dir: join(root, 'media'), repo })
    expect(media.pending()).toBe(0)
  })

  it('refuses a path that is not a sha256', () => {
    expect(media.open('../../etc/passwd')).toBeNull()
    expect(media.has('abc')).toBe(false)
  })
})
