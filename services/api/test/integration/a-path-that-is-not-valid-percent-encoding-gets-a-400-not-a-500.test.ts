/**
 * Express decodes path parameters with decodeURIComponent; `/v1/devices/%ZZ` makes that throw a URIError, which
 * the error handler used to answer as a 500. It is the client's mistake: a 400 problem naming the path.
 * (Found by the fuzz run of fuzzing-the-live-api-finds-no-5xx-no-crash-and-no-memory-growth.)
 */
import { startApiUnderTest, type ApiUnderTest } from '../support/api-under-test';
import { expectProblem } from '../support/http-calls';
import { rawRequest } from '../support/raw-http';
import { acquire, type Release } from '../support/stack-disruption-lock';

let api: ApiUnderTest;
let viewer: string;

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

beforeAll(async () => {
  api = await startApiUnderTest({ RATE_LIMIT_PER_MINUTE: '100000' });
  viewer = await api.token('vera', 'viewer');
});

afterAll(async () => {
  await api?.shutdown();
});

it.each([
  ['GET', '/v1/devices/%ZZ'],
  ['GET', '/v1/devices/%/readings'],
  ['GET', '/v1/devices/%E0%A4%A/readings'],
  ['GET', '/v1/alert-rules/%ff%fe'],
  ['POST', '/v1/alerts/%/ack'],
  ['POST', '/v1/devices/%'],
])('answers %s %s with a 400 problem naming the path', async (method, path) => {
  const res = await rawRequest(api.port, { method, path, headers: [['Authorization', `Bearer ${viewer}`]] });
  const problem = expectProblem({ status: res.status!, headers: res.headers, text: res.body }, 400, 'validation');
  expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/path' })]);
});

it('still answers 401 first when there are no credentials', async () => {
  const res = await rawRequest(api.port, { method: 'GET', path: '/v1/devices/%ZZ' });
  expectProblem({ status: res.status!, headers: res.headers, text: res.body }, 401, 'unauthenticated');
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
