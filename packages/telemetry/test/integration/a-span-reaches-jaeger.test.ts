import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { stackEnv, up } from '@floodgate/devstack';
import { parentOf, serviceOf, tag, waitForTrace } from '../support/jaeger-query';

const root = path.resolve(__dirname, '../../../..');

beforeAll(async () => {
  // Adds Jaeger to the stack the global setup started (or reuses it); the global teardown stops it with the rest.
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['jaeger'] });
  Object.assign(process.env, stackEnv(stack));
}, 120000);

describe('tracing into the real Jaeger', () => {
  it('exports a service span and its PostgreSQL query, found by trace id through the query API', async () => {
    const run = spawnSync(
      path.join(root, 'node_modules/.bin/tsx'),
      ['--import', './packages/telemetry/src/register.ts', path.join(__dirname, '../fixtures/traced-database-call.ts')],
      {
        cwd: root,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          OTEL_SERVICE_NAME: 'telemetry-fixture',
          POD_NAME: 'fixture-0',
          POD_NAMESPACE: 'floodgate-test',
          OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
        },
        encoding: 'utf8',
        timeout: 60000,
      },
    );
    expect(run.stderr).toBe('');
    const { traceId } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { traceId: string };

    const found = await waitForTrace(traceId, (t) => t.spans.length >= 2);
    const parent = found.spans.find((s) => s.operationName === 'fixture: read the clock')!;
    const query = found.spans.find((s) => tag(s, 'db.system') === 'postgresql' || tag(s, 'db.system.name') === 'postgresql')!;
    expect(parent).toBeDefined();
    expect(query).toBeDefined();
    expect(parentOf(query)).toBe(parent.spanID);
    expect(serviceOf(found, parent)).toBe('telemetry-fixture');
    const resource = Object.fromEntries(found.processes[parent.processID]!.tags.map((t) => [t.key, t.value]));
    expect(resource).toMatchObject({ 'k8s.pod.name': 'fixture-0', 'k8s.namespace.name': 'floodgate-test', 'deployment.environment.name': 'test' });
    // The statement is reported without bound values (payloads stay out of traces).
    expect(String(tag(query, 'db.statement') ?? tag(query, 'db.query.text'))).toBe('SELECT now() AS clock');
  }, 90000);
});
