import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');
const fixture = path.join(__dirname, '../fixtures/report-patched-modules.ts');
const tsx = path.join(root, 'node_modules/.bin/tsx');

function runWithPreload(extraEnv: Record<string, string>) {
  const result = spawnSync(tsx, ['--import', './packages/telemetry/src/register.ts', fixture], {
    cwd: root,
    // Port 9 (discard) is closed on loopback: export fails quietly, nothing in the test depends on it.
    env: { ...process.env, NODE_OPTIONS: '', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', LOG_LEVEL: 'info', ...extraEnv },
    encoding: 'utf8',
    timeout: 60000,
  });
  const lines = result.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, Record<string, unknown> | string | undefined>);
  return { result, lines };
}

describe('the register preload', () => {
  it('patches http, express, kafkajs, pg and ioredis when a service is started with tsx --import', () => {
    const { result, lines } = runWithPreload({});
    expect(result.stderr).not.toMatch(/Error/);
    expect(result.status).toBe(0);
    expect(lines.find((l) => l.patched)?.patched).toEqual({ http: true, express: true, kafkajs: true, pg: true, ioredis: true });
    expect(lines.find((l) => l.patched)?.sdkLoaded).toBe(true);
  });

  it('puts trace_id and span_id of the active span in every JSON log line, and none outside a span', () => {
    const { lines } = runWithPreload({});
    const span = lines.find((l) => l.span)?.span as { traceId: string; spanId: string };
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    const inside = lines.find((l) => l.msg === 'inside a span');
    const outside = lines.find((l) => l.msg === 'outside any span');
    expect(inside).toMatchObject({ trace_id: span.traceId, span_id: span.spanId, service: 'fixture' });
    expect(outside).toBeDefined();
    expect(outside).not.toHaveProperty('trace_id');
  });

  it('patches nothing, and does not even load the SDK, when OTEL_SDK_DISABLED=true', () => {
    const { result, lines } = runWithPreload({ OTEL_SDK_DISABLED: 'true' });
    expect(result.status).toBe(0);
    expect(lines.find((l) => l.patched)?.patched).toEqual({ http: false, express: false, kafkajs: false, pg: false, ioredis: false });
    // The chart turns tracing off when no OTLP endpoint is set; the SDK would still cost every pod about 70 MiB.
    expect(lines.find((l) => l.patched)?.sdkLoaded).toBe(false);
  });

  it('stops the service with a message naming the variable when an OTEL_* setting is invalid', () => {
    const { result } = runWithPreload({ OTEL_TRACES_SAMPLER: 'sometimes' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('OTEL_TRACES_SAMPLER ("sometimes")');
  });
});
