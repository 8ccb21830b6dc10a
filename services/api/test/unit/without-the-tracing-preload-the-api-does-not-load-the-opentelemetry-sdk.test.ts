/**
 * The OpenTelemetry SDK and its auto-instrumentations are loaded by the register preload, and only when tracing is on.
 * Reached through the package index of @floodgate/telemetry, they cost the API about a second of start-up and 70 MiB
 * of memory even with tracing off (bench/tools/api-startup.ts). Its modules import the helpers they need by path.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../../../..');

/** The modules a fresh Node.js process has loaded after requiring `entry` (through tsx, as the services run). */
function modulesLoadedBy(entry: string): string[] {
  const script = `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 })) as string[];
}

describe('without the tracing preload', () => {
  it('the API loads neither the OpenTelemetry SDK nor its instrumentations', () => {
    const loaded = modulesLoadedBy(path.join(root, 'services/api/src/api-runtime.ts'));
    expect(loaded.some((m) => m.includes('/services/api/src/app.ts'))).toBe(true);
    expect(loaded.filter((m) => /@opentelemetry\/(sdk-node|auto-instrumentations-node|exporter-)/.test(m))).toEqual([]);
  });

  it('the package index would load the SDK (what the check above guards against)', () => {
    const loaded = modulesLoadedBy(path.join(root, 'packages/telemetry/src/index.ts'));
    expect(loaded.some((m) => m.includes('@opentelemetry/sdk-node'))).toBe(true);
  });
});
