import { ConfigError } from '@floodgate/config';
import { loadApiConfig } from '../../src/config';

const base = { KAFKA_BROKERS: '127.0.0.1:9092', DATABASE_URL: 'postgres://x@127.0.0.1/db', REDIS_URL: 'redis://127.0.0.1:6379' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadApiConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('API configuration', () => {
  it('has the documented defaults', () => {
    const cfg = loadApiConfig({ ...base, JWT_SECRET: 'x'.repeat(32) });
    expect(cfg).toEqual(expect.objectContaining({ PORT: 8080, RATE_LIMIT_PER_MINUTE: 1000, JWT_ISSUER: 'floodgate', KAFKA_TOPIC_PREFIX: 'floodgate' }));
  });

  it('needs a way to verify tokens', () => {
    expect(problemsOf(base)).toEqual([expect.stringMatching(/^JWT_SECRET \(unset\): set JWT_SECRET .* or JWT_JWKS_URL/)]);
  });

  it('names bad variables and hides secret values', () => {
    const problems = problemsOf({ ...base, JWT_SECRET: 'short', RATE_LIMIT_PER_MINUTE: 'lots', JWT_ALGORITHMS: 'none' });
    expect(problems.some((p) => p.startsWith('JWT_SECRET (set (hidden))'))).toBe(true);
    expect(problems.some((p) => p.startsWith('RATE_LIMIT_PER_MINUTE ("lots")'))).toBe(true);
    expect(problems.some((p) => p.startsWith('JWT_ALGORITHMS'))).toBe(true);
  });

  it('refuses asymmetric algorithms without a JWKS', () => {
    expect(problemsOf({ ...base, JWT_SECRET: 'x'.repeat(32), JWT_ALGORITHMS: 'RS256' })).toEqual([expect.stringMatching(/^JWT_ALGORITHMS .*JWT_JWKS_URL/)]);
  });
});
