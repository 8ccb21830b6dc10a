/** `npm run migrate`: applies pending migrations to DATABASE_URL and says which. */
import { z } from 'zod';
import { createLogger, parseEnv } from '@floodgate/config';
import { migrate } from './migrate';

const log = createLogger('migrate');
const cfg = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
const direction = process.argv[2] === 'down' ? 'down' : 'up';
migrate({ databaseUrl: cfg.DATABASE_URL, direction, count: direction === 'down' ? 1 : Infinity, log: (m) => log.debug(m) }).then(
  (applied) => log.info({ applied, direction }, applied.length ? `applied ${applied.length} migration(s)` : 'schema is current'),
  (err: Error) => {
    log.error({ err: err.message }, 'migration failed');
    process.exitCode = 1;
  },
);
