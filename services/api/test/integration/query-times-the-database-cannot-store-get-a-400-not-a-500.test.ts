/**
 * RFC 3339 allows times PostgreSQL's timestamptz refuses: year 0000 (there is no year 0 in its calendar) and
 * offsets beyond ±15:59. Such a time in `from`, `to`, `since` or inside a cursor used to reach the database and
 * come back as a 500; it is a 400 naming the parameter, and times at the edges of the range still work.
 * (Found while writing the OWASP tests; the fuzz run sends such times too.)
 */
import { startApiUnderTest, type ApiUnderTest } from '../support/api-under-test';
import { call, expectProblem } from '../support/http-calls';
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

const cursor = (t: string) => Buffer.from(JSON.stringify({ t, id: '00000000-0000-4000-8000-000000000000' })).toString('base64url');
const q = encodeURIComponent;

it.each(['0000-01-01T00:00:00Z', '0000-12-31T23:59:59.999Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-01:00'])(
  'answers %s in from, to, since and a cursor with a 400 naming the parameter',
  async (time) => {
    const cases: [string, string][] = [
      [`/v1/devices/some-device/readings?from=${q(time)}`, '/query/from'],
      [`/v1/devices/some-device/readings?to=${q(time)}`, '/query/to'],
      [`/v1/alerts?since=${q(time)}`, '/query/since'],
      [`/v1/devices/some-device/readings?cursor=${cursor(time)}`, '/query/cursor'],
      [`/v1/alerts?cursor=${cursor(time)}`, '/query/cursor'],
    ];
    for (const [path, pointer] of cases) {
      const problem = expectProblem(await call(api.url, 'GET', path, { token: viewer }), 400, 'validation');
      expect(JSON.stringify(problem.errors)).toContain(pointer);
    }
  },
);

it('still takes the first and last storable instants, with any offset PostgreSQL accepts or not', async () => {
  for (const time of ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00-23:59', '9999-12-31T23:59:59Z', '2026-11-23T10:00:00+14:00', '2026-11-23T10:00:00-23:59']) {
    expect((await call(api.url, 'GET', `/v1/devices/some-device/readings?from=${q(time)}&to=${q('9999-12-31T23:59:59.999Z')}`, { token: viewer })).status).toBe(
      200,
    );
    expect((await call(api.url, 'GET', `/v1/alerts?since=${q(time)}&cursor=${cursor(time)}`, { token: viewer })).status).toBe(200);
  }
});

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
