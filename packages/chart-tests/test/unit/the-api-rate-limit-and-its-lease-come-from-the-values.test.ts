/** The API's rate limit per principal (RATE_LIMIT_PER_MINUTE) and its lease bound (RATE_LIMIT_LEASE_MAX) come from api.*. */
import { render, type K8sObject } from '../../src/charts';

jest.setTimeout(60000);

async function apiEnv(set: Record<string, string | number | boolean> = {}): Promise<Record<string, string | undefined>> {
  const objects: K8sObject[] = await render('floodgate', { set });
  const api = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'floodgate-api')!;
  const env = api.spec.template.spec.containers[0].env as { name: string; value?: string }[];
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}

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
