/**
 * The API's client address (TRUST_PROXY_HOPS) and its limit on failed authentications per address
 * (AUTH_FAILURES_PER_MINUTE) come from api.trustProxyHops and api.authFailuresPerMinute, both off by default; its rate
 * limit per principal (RATE_LIMIT_PER_MINUTE) and lease bound (RATE_LIMIT_LEASE_MAX) from api.rateLimitPerMinute and
 * api.rateLimitLeaseMax.
 */
import { render, type K8sObject } from '../../src/charts';

jest.setTimeout(60000);

async function apiEnv(set: Record<string, string | number | boolean> = {}): Promise<Record<string, string | undefined>> {
  const objects: K8sObject[] = await render('floodgate', { set });
  const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'floodgate-api')!;
  const env = api.spec.template.spec.containers[0].env as { name: string; value?: string }[];
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

test('by default the API trusts no proxy and does not limit failed authentications', async () => {
  const env = await apiEnv();
  expect(env.TRUST_PROXY_HOPS).toBe('0');
  expect(env.AUTH_FAILURES_PER_MINUTE).toBe('0');
});

test('behind an ingress: one trusted hop and a limit per client address', async () => {
  const env = await apiEnv({ 'api.trustProxyHops': 1, 'api.authFailuresPerMinute': 30 });
  expect(env.TRUST_PROXY_HOPS).toBe('1');
  expect(env.AUTH_FAILURES_PER_MINUTE).toBe('30');
});

test('the schema refuses a negative limit or an absurd number of hops', async () => {
  await expect(render('floodgate', { set: { 'api.authFailuresPerMinute': -1 } })).rejects.toThrow(/authFailuresPerMinute/);
  await expect(render('floodgate', { set: { 'api.trustProxyHops': 11 } })).rejects.toThrow(/trustProxyHops/);
});

test('by default 1,000 requests per minute per principal, leases of up to 64 for principals with a high limit', async () => {
  const env = await apiEnv();
  expect(env.RATE_LIMIT_PER_MINUTE).toBe('1000');
  expect(env.RATE_LIMIT_LEASE_MAX).toBe('64');
});

test('both can be set, and leases turned off with 1', async () => {
  const env = await apiEnv({ 'api.rateLimitPerMinute': 600000, 'api.rateLimitLeaseMax': 1 });
  expect(env.RATE_LIMIT_PER_MINUTE).toBe('600000');
  expect(env.RATE_LIMIT_LEASE_MAX).toBe('1');
});

test('the schema refuses a lease of zero or above 1,000', async () => {
  await expect(render('floodgate', { set: { 'api.rateLimitLeaseMax': 0 } })).rejects.toThrow(/rateLimitLeaseMax/);
  await expect(render('floodgate', { set: { 'api.rateLimitLeaseMax': 1001 } })).rejects.toThrow(/rateLimitLeaseMax/);
});
