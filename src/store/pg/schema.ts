// The PostgreSQL schema: the mirror of every SQLite table plus the cluster tables. drizzle-kit reads this file
// (scripts/drizzle-pg.config.ts) to write db/pg/.
export * from './schema-core.ts'
export * from './schema-media.ts'
export * from './schema-cluster.ts'
