import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { stackEnv, up } from '@floodgate/devstack';
import { parentOf, tag, waitForTrace, type JaegerSpan } from '../support/jaeger-query';

const root = path.resolve(__dirname, '../../../..');

beforeAll(async () => {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['jaeger'] });
  Object.assign(process.env, stackEnv(stack));
}, 120000);

// What the worker's eachBatch handler needs: with the real kafkajs, pg and ioredis instrumentations, the work
// done for a consumed message lands in the producer's trace, under a consumer span whose parent is the send.
describe('an eachBatch consumer using withExtractedContext', () => {
  it('puts its PostgreSQL and Redis spans in the producer’s trace, under the Kafka send', async () => {
    const run = spawnSync(
      path.join(root, 'node_modules/.bin/tsx'),
      ['--import', './packages/telemetry/src/register.ts', path.join(__dirname, '../fixtures/batch-consumer-joins-producer-trace.ts')],
      {
        cwd: root,
        env: { ...process.env, NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning', OTEL_SERVICE_NAME: 'batch-fixture' },
        encoding: 'utf8',
        timeout: 90000,
      },
    );
    expect(run.stderr).toBe('');
    const { traceId } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { traceId: string };

    const isDb = (s: JaegerSpan, system: string) => tag(s, 'db.system') === system || tag(s, 'db.system.name') === system;
    const found = await waitForTrace(traceId, (t) => t.spans.some((s) => isDb(s, 'postgresql')) && t.spans.some((s) => isDb(s, 'redis')));
    const request = found.spans.find((s) => s.operationName === 'fixture: device request')!;
    const send = found.spans.find((s) => tag(s, 'span.kind') === 'producer')!;
    const processSpan = found.spans.find((s) => s.operationName.startsWith('process ') && tag(s, 'span.kind') === 'consumer' && parentOf(s) === send.spanID)!;
    expect(parentOf(send)).toBe(request.spanID);
    expect(processSpan).toBeDefined();
    expect(parentOf(found.spans.find((s) => isDb(s, 'postgresql') && /SELECT/.test(s.operationName))!)).toBe(processSpan.spanID);
    expect(parentOf(found.spans.find((s) => isDb(s, 'redis'))!)).toBe(processSpan.spanID);
    // The batch's own poll span stays reachable through a link.
    expect(processSpan.references.some((r) => r.refType === 'FOLLOWS_FROM')).toBe(true);
  }, 120000);
});
