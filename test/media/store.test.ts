// The content-addressed media store against a real directory and a real database, SQLite and PostgreSQL alike
// (the conformance harness's repositories): one store code path over either media repository.
import { afterAll, beforeEach, describe, expect, it } from 'bun:test'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MediaStoreError, openMediaStore, STALE_TEMP_MS, type MediaStore } from '../../src/media/store.ts'
import { dialects, useDialect } from '../store/conformance/dialects.ts'

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')

async function* chunked(b: Uint8Array, size: number) {
  for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size)
}

describe.each(dialects)('%s: media store', (name) => {
  const d = useDialect(name)
  const root = mkdtempSync(join(tmpdir(), 'wagate-media-'))
  const dir = join(root, 'media')
  let now = 1_700_000_000_000
  let media: MediaStore
  let s1 = ''
  let s2 = ''
  let h1 = { sessionId: '', owner: 'upload:a' }
  const open = () => openMediaStore({ dir, repo: d().repos.media, clock: () => now })
  const count = async (table: string) => d().scalar(`SELECT count(*) FROM ${table}`)

  beforeEach(async () => {
    await d().exec('DELETE FROM media_refs')
    await d().exec('DELETE FROM media_files')
    s1 = (await d().tenant()).sessionId
    s2 = (await d().tenant()).sessionId
    h1 = { sessionId: s1, owner: 'upload:a' }
    rmSync(dir, { recursive: true, force: true })
    media = open()
  })
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('stores streamed content under its sha256 and reads the same bytes back', async () => {
    const bytes = randomBytes(300_000)
    const stored = await media.put(chunked(bytes, 65_536), { holder: h1 })
    expect(stored).toEqual({ sha256: sha(bytes), size: 300_000 })
    expect(existsSync(join(dir, stored.sha256.slice(0, 2), stored.sha256))).toBe(true)
    const file = (await media.open(stored.sha256))!
    expect(file.size).toBe(300_000)
    expect(sha(new Uint8Array(await file.file.arrayBuffer()))).toBe(stored.sha256)
    expect(await d().query('SELECT owner FROM media_refs WHERE sha256 = ?', stored.sha256)).toEqual([
      { owner: 'upload:a' },
    ])
  })

  it('keeps one copy of the same content put twice', async () => {
    const bytes = randomBytes(1000)
    await media.put(bytes, { holder: h1 })
    await media.put(bytes, { holder: { sessionId: s2, owner: 'upload:b' } })
    const s = sha(bytes)
    expect(readdirSync(join(dir, s.slice(0, 2)))).toEqual([s])
    expect(await count('media_files')).toBe(1)
    expect(await count('media_refs')).toBe(2)
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
    expect(await media.has(sha(bytes))).toBe(false)
    expect(media.pending()).toBe(0)
  })

  it('stops at the size cap and stores nothing', async () => {
    const err = await media.put(chunked(randomBytes(10_000), 1000), { maxBytes: 5000 }).catch((e: unknown) => e)
    expect((err as MediaStoreError).reason).toBe('too_large')
    expect(media.pending()).toBe(0)
    expect(await count('media_files')).toBe(0)
  })

  it('stores nothing when the holder session is gone', async () => {
    const err = await media
      .put(randomBytes(100), { holder: { sessionId: 'ses_gone', owner: 'upload:x' } })
      .then(() => null)
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(await count('media_files')).toBe(0)
    expect(media.pending()).toBe(0)
    expect(readdirSync(dir).filter((n) => n !== 'tmp')).toEqual([])
  })

  it('deletes a file when its last holder lets go, not before', async () => {
    const { sha256 } = await media.put(randomBytes(100), { holder: h1 })
    await media.ref(sha256, s2, 'message:7')
    await media.unref(sha256, s1, 'upload:a')
    expect(await media.open(sha256)).not.toBeNull()
    await media.unref(sha256, s2, 'message:7')
    expect(await media.open(sha256)).toBeNull()
    expect(existsSync(join(dir, sha256.slice(0, 2), sha256))).toBe(false)
    expect(media.path(sha256)).toBeNull()
  })

  it('deleting a session deletes the files only it referenced', async () => {
    const shared = await media.put(randomBytes(100), { holder: { sessionId: s2, owner: 'upload:x' } })
    await media.ref(shared.sha256, s2, 'upload:y')
    const own = await media.put(randomBytes(100), { holder: { sessionId: s2, owner: 'upload:z' } })
    await media.ref(shared.sha256, s1, 'message:1')
    await d().exec('DELETE FROM sessions WHERE id = ?', s2)
    expect(await media.sweep()).toBe(1)
    expect(await media.has(shared.sha256)).toBe(true)
    expect(await media.has(own.sha256)).toBe(false)
    expect(existsSync(join(dir, own.sha256.slice(0, 2), own.sha256))).toBe(false)
  })

  it('retention drops holders older than the window and the files left without one', async () => {
    const old = await media.put(randomBytes(10), { holder: h1 })
    now += 3 * 86_400_000
    const fresh = await media.put(randomBytes(10), { holder: { sessionId: s1, owner: 'upload:b' } })
    expect(await media.retain(2)).toBe(1)
    expect(await media.has(old.sha256)).toBe(false)
    expect(await media.has(fresh.sha256)).toBe(true)
  })

  it('a sweep puts back a file that another node sharing the directory recorded while it was being swept', async () => {
    const bytes = randomBytes(500)
    const staged = await media.put(bytes) // staged: no holder, kept for an hour
    now += 2 * 3_600_000
    const repo = d().repos.media
    // Node B (its own store on the same directory and database) stores the same content right after node A's
    // sweep took the orphaned row, before A deletes the file.
    const nodeB = openMediaStore({ dir, repo, clock: () => now })
    const nodeA = openMediaStore({
      dir,
      clock: () => now,
      repo: {
        ...repo,
        async takeOrphans(at, limit) {
          const taken = await repo.takeOrphans(at, limit)
          if (taken.length) await nodeB.put(bytes, { holder: { sessionId: s2, owner: 'message:9' } })
          return taken
        },
      },
    })
    expect(await nodeA.sweep()).toBe(1)
    const file = (await nodeB.open(staged.sha256))!
    expect(sha(new Uint8Array(await file.file.arrayBuffer()))).toBe(staged.sha256)
    expect(nodeA.pending()).toBe(0)
  })

  it('removes temp files a crash left behind when opened, and leaves the fresh ones of another node', async () => {
    const left = join(dir, 'tmp', 'left.part')
    const writing = join(dir, 'tmp', 'writing.part')
    writeFileSync(left, 'x')
    writeFileSync(writing, 'y')
    const stale = (Date.now() - STALE_TEMP_MS - 60_000) / 1000
    utimesSync(left, stale, stale)
    media = open()
    expect(existsSync(left)).toBe(false)
    expect(existsSync(writing)).toBe(true)
    expect(media.pending()).toBe(1)
  })

  it('refuses a path that is not a sha256', async () => {
    expect(await media.open('../../etc/passwd')).toBeNull()
    expect(await media.has('abc')).toBe(false)
    expect(media.path('../x')).toBeNull()
  })
})
