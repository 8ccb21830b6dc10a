/**
 * Applies the SQL migrations in packages/db/migrations with node-pg-migrate, under its
 * advisory lock (so two migration jobs never race). Run by `npm run migrate`, the
 * worker's `migrate` subcommand and the Helm hook Job; never at request time.
 */
import path from 'node:path';
import { runner } from 'node-pg-migrate';

/** The SQL files; FLOODGATE_MIGRATIONS_DIR points elsewhere (the worker image copies them beside its bundle). */
export const migrationsDir = process.env.FLOODGATE_MIGRATIONS_DIR ?? path.join(__dirname, '..', 'migrations');

export interface MigrateOptions {
  databaseUrl: string;
  direction?: 'up' | 'down';
  /** How many migrations to undo with direction 'down' (default: all). */
  count?: number;
  log?: (message: string) => void;
}

/** Returns the names of the migrations it applied (empty when the schema was current). */
export async function migrate(opts: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: opts.databaseUrl,
    dir: migrationsDir,
    direction: opts.direction ?? 'up',
    count: opts.count ?? Infinity,
    migrationsTable: 'floodgate_migrations',
    checkOrder: true,
    singleTransaction: true,
    log: opts.log ?? (() => undefined),
    verbose: false,
  });
  return applied.map((m) => m.name);
}
