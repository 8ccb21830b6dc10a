/** Starts the real API in-process against the local stack (Kafka, PostgreSQL, Redis) on a free port, for integration tests. */
import { migrate } from '@floodgate/db';
import { createLogger } from '@floodgate/config';
import { startApi, type RunningApi } from '../../src/api-runtime';
import { loadApiConfig } from '../../src/config';
import { mintToken } from '../../src/auth/mint-token';
import type { Role } from '../../src/auth/principal';

export const testSecret = 'integration-test-secret-0123456789abcdef';
export const issuer = 'floodgate-test';
export const audience = 'floodgate-api-test';

export interface ApiUnderTest extends RunningApi {
  token(subject: string, role: Role, ttlSeconds?: number): Promise<string>;
}

export async function startApiUnderTest(overrides: Record<string, string | undefined> = {}): Promise<ApiUnderTest> {
  await migrate({ databaseUrl: process.env.DATABASE_URL! });
  const source: Record<string, string | undefined> = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: testSecret,
    JWT_ISSUER: issuer,
    JWT_AUDIENCE: audience,
    LOG_LEVEL: process.env.API_TEST_LOG_LEVEL ?? 'silent', // API_TEST_LOG_LEVEL=warn shows the API's logs when a test fails
    DEPENDENCY_PROBE_INTERVAL_MS: '1000',
    SHUTDOWN_DRAIN_DELAY_MS: '0', // no load balancer in front of an in-process API
    ...overrides,
  };
  // An override of undefined removes the variable (e.g. a JWKS-only setup without JWT_SECRET).
  for (const [k, v] of Object.entries(source)) if (v === undefined) delete source[k];
  const cfg = loadApiConfig(source);
  const api = await startApi(cfg, createLogger('floodgate-api-test', cfg.LOG_LEVEL));
  return {
    ...api,
    token: (subject, role, ttlSeconds) => mintToken({ secret: testSecret, issuer, audience, subject, role, ...(ttlSeconds ? { ttlSeconds } : {}) }),
  };
}

export function bearer(token: string, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...extra };
}

/** A unique device id per test run, so tests sharing one stack never see each other's data. */
export function uniqueDevice(name: string): string {
  return `${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
