import crypto from 'node:crypto';
import { stackEnv, up } from '@floodgate/devstack';
import { mintToken } from '../../../../services/api/src/auth/mint-token';
import { parentOf, serviceOf, tag, waitForTrace, type JaegerSpan, type JaegerTrace } from '../support/jaeger-query';
import { runMigrations, startService, type ServiceProcess } from '../support/service-process';

/**
 * The API reads device state from Redis with ioredis. Concurrent reads must each keep their Redis spans in their own
 * trace, under their own HTTP request: a client that coalesces concurrent commands (ioredis auto-pipelining sends
 * them from whichever caller came first) would file every read's Redis work under one request.
 */

const secret = 'e2e-reads-secret-0123456789abcdef';
const jwt = { JWT_SECRET: secret, JWT_ISSUER: 'floodgate-e2e', JWT_AUDIENCE: 'floodgate-api-e2e' };
const prefix = `reads-e2e-${process.pid}-${crypto.randomBytes(2).toString('hex')}`;
const READS = 8;
let api: ServiceProcess | undefined;

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['jaeger'] });
  Object.assign(process.env, stackEnv(stack));
  runMigrations();
  api = await startService('floodgate-api', 'services/api/src/main.ts', {
    portVariable: 'PORT',
    env: { KAFKA_TOPIC_PREFIX: prefix, REDIS_KEY_PREFIX: prefix, ...jwt, HOST: '127.0.0.1' },
  });
}, 240000);

afterAll(async () => {
  await api?.stop();
});

const isRedis = (s: JaegerSpan) => tag(s, 'db.system') === 'redis' || tag(s, 'db.system.name') === 'redis';

function ancestorIds(t: JaegerTrace, span: JaegerSpan): string[] {
  const byId = new Map(t.spans.map((s) => [s.spanID, s]));
  const ids: string[] = [];
  for (let p = parentOf(span); p && byId.has(p); p = parentOf(byId.get(p)!)) ids.push(p);
  return ids;
}

describe('concurrent device reads', () => {
  it('each have their Redis spans in their own trace, under their own request', async () => {
    const token = await mintToken({ secret, issuer: jwt.JWT_ISSUER, audience: jwt.JWT_AUDIENCE, subject: 'reads-e2e', role: 'viewer' });
    const traceIds = Array.from({ length: READS }, () => crypto.randomBytes(16).toString('hex'));
    // Sent together, so the API handles them at once: their Redis commands are in flight side by side.
    const answers = await Promise.all(
      traceIds.map((traceId, i) =>
        fetch(`${api!.url}/v1/devices/${prefix}-device-${i}`, {
          headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${crypto.randomBytes(8).toString('hex')}-01` },
        }).then(async (r) => (await r.arrayBuffer(), r.status)),
      ),
    );
    expect(answers).toEqual(traceIds.map(() => 404)); // no such devices: a cache miss, then the replica

    for (const traceId of traceIds) {
      const t = await waitForTrace(traceId, (tr) => tr.spans.some((s) => serviceOf(tr, s) === 'floodgate-api' && isRedis(s)));
      const server = t.spans.find((s) => serviceOf(t, s) === 'floodgate-api' && tag(s, 'span.kind') === 'server');
      expect(server).toBeDefined();
      const redisSpans = t.spans.filter((s) => serviceOf(t, s) === 'floodgate-api' && isRedis(s));
      for (const s of redisSpans) expect(ancestorIds(t, s)).toContain(server!.spanID);
    }
  }, 120000);
});
