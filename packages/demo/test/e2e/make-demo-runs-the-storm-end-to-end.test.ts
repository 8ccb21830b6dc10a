import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { leftoverProcesses } from '@floodgate/devstack';
import { runDemo } from '../../src/demo';
import { loadDemoSettings } from '../../src/demo-settings';

jest.setTimeout(300000);

// The whole demo, shortened: a stack of its own, the API, the notifier, a worker pool
// under the local LagScaler and a 25-second storm over 60 sensors.
test('the demo stores every accepted event, raises and resolves alerts, delivers signed webhooks, scales, and leaves nothing running', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-demo-'));
  fs.chmodSync(dir, 0o755);
  const settings = loadDemoSettings({
    DEMO_DIR: dir,
    DEMO_DEVICES: '60',
    DEMO_SECONDS: '25',
    DEMO_LAG_PER_REPLICA: '150',
    DEMO_POLLING_SECONDS: '1',
    DEMO_MAX_WORKERS: '3',
  });
  const lines: string[] = [];
  try {
    const { summary } = await runDemo(settings, (text) => lines.push(text));
    expect(summary.accepted).toBeGreaterThan(1000);
    expect(summary.lost).toBe(0);
    expect(summary.stored).toBe(summary.accepted);
    expect(summary.rejected).toBe(0);
    expect(summary.alertsOpened).toBeGreaterThan(0);
    expect(summary.alertsResolved).toBeGreaterThan(0);
    expect(summary.webhookDeliveries).toBeGreaterThanOrEqual(summary.alertsOpened);
    expect(summary.badSignatures).toBe(0);
    expect(summary.scaleUps).toBeGreaterThanOrEqual(1);
    expect(lines.some((l) => l.includes('events behind in floodgate-worker'))).toBe(true);
    expect(leftoverProcesses(dir)).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
