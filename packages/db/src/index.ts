/** PostgreSQL schema migrations and connection pools. */
export { migrate, migrationsDir } from './migrate';
export type { MigrateOptions } from './migrate';
export { createPools } from './pools';
export type { Pools, PoolSettings, PoolOptions } from './pools';
export { isDatabaseUnavailable } from './unavailable';
export { createOwnDatabase } from './own-database';
export type { OwnDatabase } from './own-database';
