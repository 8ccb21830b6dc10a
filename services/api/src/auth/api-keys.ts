/**
 * API keys: `fgk_<prefix>_<secret>`. Only a SHA-256 of the whole key is stored; the
 * prefix finds the row and a constant-time comparison of the hashes proves the key.
 * Lookups go to the primary (a replica could still show a revoked key as live) and a
 * verified key is trusted for API_KEY_CACHE_TTL_MS, which bounds how long a revocation takes.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { AuthenticationError, isRole, type Principal, type Role } from './principal';

const keyPattern = /^fgk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface MintedApiKey {
  id: string;
  key: string;
  prefix: string;
}

export function hashApiKey(key: string): string {
  return crypto.createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): { key: string; prefix: string } {
  const prefix = Array.from(crypto.randomBytes(12), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');
  return { key: `fgk_${prefix}_${crypto.randomBytes(32).toString('base64url')}`, prefix };
}

/** Creates a key and stores its hash; the key itself is returned once and never stored. */
export async function createApiKey(db: pg.Pool, input: { name: string; subject: string; role: Role; expiresAt?: Date }): Promise<MintedApiKey> {
  const { key, prefix } = generateApiKey();
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO api_keys (prefix, key_hash, name, subject, role, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id',
    [prefix, hashApiKey(key), input.name, input.subject, input.role, input.expiresAt ?? null],
  );
  return { id: rows[0]!.id, key, prefix };
}

/** Revokes by id or prefix; true if a live key was revoked. */
export async function revokeApiKey(db: pg.Pool, idOrPrefix: string): Promise<boolean> {
  const column = /^[0-9a-f-]{36}$/i.test(idOrPrefix) ? 'id' : 'prefix';
  const { rowCount } = await db.query(`UPDATE api_keys SET revoked_at = now() WHERE ${column} = $1 AND revoked_at IS NULL`, [idOrPrefix]);
  return (rowCount ?? 0) > 0;
}

interface KeyRow {
  id: string;
  key_hash: string;
  subject: string;
  role: string;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export class ApiKeyVerifier {
  private readonly cache = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly db: pg.Pool,
    private readonly cacheTtlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async verify(key: string): Promise<Principal> {
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.principal;
    const match = keyPattern.exec(key);
    if (!match) throw new AuthenticationError('the API key is not well-formed');
    const { rows } = await this.db.query<KeyRow>('SELECT id, key_hash, subject, role, expires_at, revoked_at FROM api_keys WHERE prefix = $1', [match[1]]);
    const row = rows[0];
    const presented = Buffer.from(hashApiKey(key), 'hex');
    // Compare even when no row matched, so timing does not tell which prefixes exist.
    const stored = Buffer.from(row?.key_hash ?? '0'.repeat(64), 'hex');
    if (!row || stored.length !== presented.length || !crypto.timingSafeEqual(stored, presented)) throw new AuthenticationError('the API key is not valid');
    if (row.revoked_at) throw new AuthenticationError('the API key has been revoked');
    if (row.expires_at && row.expires_at.getTime() <= now) throw new AuthenticationError('the API key has expired');
    if (!isRole(row.role)) throw new AuthenticationError('the API key has no valid role');
    const principal: Principal = { subject: row.subject, role: row.role, via: 'api-key', keyId: row.id };
    if (this.cacheTtlMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(key, { principal, until: now + this.cacheTtlMs });
    }
    // Best effort: last use is for audit, never worth failing or slowing a request for.
    this.db.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [row.id]).catch(() => undefined);
    return principal;
  }
}
