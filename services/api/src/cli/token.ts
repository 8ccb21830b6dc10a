/**
 * `npm run token -w @floodgate/api -- <command>`: mints local HS256 tokens and manages API keys.
 *   jwt --sub <subject> --role <role> [--ttl <seconds>]         (JWT_SECRET, JWT_ISSUER, JWT_AUDIENCE)
 *   api-key create --name <name> --sub <subject> --role <role> [--expires-days <n>]   (DATABASE_URL)
 *   api-key revoke <id-or-prefix>
 *   api-key list
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { ConfigError, parseEnv } from '@floodgate/config';
import { createApiKey, revokeApiKey } from '../auth/api-keys';
import { mintToken } from '../auth/mint-token';
import { isRole, roles, type Role } from '../auth/principal';

const usage = `usage:
  token jwt --sub <subject> --role <${roles.join('|')}> [--ttl <seconds>]
  token api-key create --name <name> --sub <subject> --role <role> [--expires-days <n>]
  token api-key revoke <id-or-prefix>
  token api-key list`;

class UsageError extends Error {}

function role(value: string | undefined): Role {
  if (!isRole(value)) throw new UsageError(`--role must be one of ${roles.join(', ')}`);
  return value;
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`);
  return value;
}

async function withDb<T>(fn: (db: pg.Pool) => Promise<T>): Promise<T> {
  const { DATABASE_URL } = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
  const db = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  try {
    return await fn(db);
  } finally {
    await db.end();
  }
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { sub: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string' }, name: { type: 'string' }, 'expires-days': { type: 'string' } },
  });
  const [command, sub] = positionals;
  if (command === 'jwt') {
    const cfg = parseEnv(
      z.object({ JWT_SECRET: z.string().min(32), JWT_ISSUER: z.string().default('floodgate'), JWT_AUDIENCE: z.string().default('floodgate-api') }),
    );
    const ttl = Number(values.ttl ?? 3600);
    if (!Number.isInteger(ttl) || ttl <= 0) throw new UsageError('--ttl is a positive number of seconds');
    const token = await mintToken({
      secret: cfg.JWT_SECRET,
      issuer: cfg.JWT_ISSUER,
      audience: cfg.JWT_AUDIENCE,
      subject: required(values.sub, '--sub'),
      role: role(values.role),
      ttlSeconds: ttl,
    });
    process.stdout.write(`${token}\n`);
    return;
  }
  if (command === 'api-key' && sub === 'create') {
    const days = values['expires-days'] === undefined ? undefined : Number(values['expires-days']);
    if (days !== undefined && !(days > 0)) throw new UsageError('--expires-days is a positive number');
    const minted = await withDb((db) =>
      createApiKey(db, {
        name: required(values.name, '--name'),
        subject: required(values.sub, '--sub'),
        role: role(values.role),
        ...(days ? { expiresAt: new Date(Date.now() + days * 86_400_000) } : {}),
      }),
    );
    process.stderr.write(`created API key ${minted.id} (prefix ${minted.prefix}); it is shown once:\n`);
    process.stdout.write(`${minted.key}\n`);
    return;
  }
  if (command === 'api-key' && sub === 'revoke') {
    const target = required(positionals[2], '<id-or-prefix>');
    const revoked = await withDb((db) => revokeApiKey(db, target));
    if (!revoked) throw new UsageError(`no live API key ${target}`);
    process.stdout.write(`revoked ${target}\n`);
    return;
  }
  if (command === 'api-key' && sub === 'list') {
    const rows = await withDb(
      async (db) =>
        (await db.query('SELECT id, prefix, name, subject, role, created_at, expires_at, revoked_at, last_used_at FROM api_keys ORDER BY created_at')).rows,
    );
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  throw new UsageError('unknown command');
}

run(process.argv.slice(2)).catch((err) => {
  if (err instanceof UsageError || err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n${err instanceof UsageError ? usage : ''}\n`);
    process.exit(2);
  }
  process.stderr.write(`token: ${(err as Error).message}\n`);
  process.exit(1);
});
