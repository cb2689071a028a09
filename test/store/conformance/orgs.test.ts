// Organisations repository: the same answers on SQLite and PostgreSQL.
import { describe, expect, it } from 'bun:test'
import { dialects, useDialect } from './dialects.ts'

describe.each(dialects)('%s: orgs', (name) => {
  const d = useDialect(name)

  it('isEmpty is true before the first organisation and false after it', async () => {
    const { orgs } = d().repos
    expect(await orgs.isEmpty()).toBe(true)
    await orgs.create('org_first')
    expect(await orgs.isEmpty()).toBe(false)
  })

  it('create answers the organisation, named after its id unless named', async () => {
    const { orgs } = d().repos
    const before = Date.now()
    const a = await orgs.create('org_a')
    const b = await orgs.create('org_b', 'Bee')
    expect(a).toEqual({ id: 'org_a', name: 'org_a', createdAt: a!.createdAt })
    expect(b).toEqual({ id: 'org_b', name: 'Bee', createdAt: b!.createdAt })
    expect(typeof a!.createdAt).toBe('number')
    expect(a!.createdAt).toBeGreaterThanOrEqual(before)
  })

  it('create answers null when the id is taken and leaves the organisation as it was', async () => {
    const { orgs } = d().repos
    await orgs.create('org_taken', 'First')
    expect(await orgs.create('org_taken', 'Second')).toBeNull()
    expect((await orgs.get('org_taken'))?.name).toBe('First')
  })

  it('get answers null for an unknown id', async () => {
    expect(await d().repos.orgs.get('org_nobody')).toBeNull()
  })

  it('ensure creates the organisation on first sight and answers the same one afterwards', async () => {
    const { orgs } = d().repos
    const first = await orgs.ensure('org_jwt')
    expect(first).toEqual({ id: 'org_jwt', name: 'org_jwt', createdAt: first.createdAt })
    expect(await orgs.ensure('org_jwt')).toEqual(first)
  })

  it('list is ordered by creation time, ties by id', async () => {
    const { exec, repos } = d()
    for (const id of ['org_l2', 'org_l1', 'org_l3'])
      await exec('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)', id, id, 1_000)
    await exec('INSERT INTO orgs (id, name, created_at) VALUES (?, ?, ?)', 'org_l0', 'org_l0', 2_000)
    const listed = (await repos.orgs.list()).filter((o) => o.id.startsWith('org_l'))
    expect(listed).toEqual([
      { id: 'org_l1', name: 'org_l1', createdAt: 1_000 },
      { id: 'org_l2', name: 'org_l2', createdAt: 1_000 },
      { id: 'org_l3', name: 'org_l3', createdAt: 1_000 },
      { id: 'org_l0', name: 'org_l0', createdAt: 2_000 },
    ])
  })
})
