import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@floodgate/devstack';
import { mintToken } from '../../src/auth/mint-token';
import { audience, issuer, testSecret, uniqueDevice } from '../support/api-under-test';
import { migrate } from '@floodgate/db';
import { acquire, type Release } from '../support/stack-disruption-lock';

const root = path.resolve(__dirname, '../../../..');

async function waitForHttp(url: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer`);
}

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

it('on SIGTERM answers the requests in flight or in transit, reports not ready, flushes Kafka, stops listening and exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
  await migrate({ databaseUrl: process.env.DATABASE_URL! });
  const port = await freePort();
  const logs: string[] = [];
  const stderr: string[] = [];
  child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services/api/src/main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      PORT: String(port),
      HOST: '127.0.0.1',
      JWT_SECRET: testSecret,
      JWT_ISSUER: issuer,
      JWT_AUDIENCE: audience,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: '8000',
      INGEST_LINGER_MS: '50',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString())); // Node's own warnings, not the service's logs
  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`);

  const deviceId = uniqueDevice('drain');
  const token = await mintToken({ secret: testSecret, issuer, audience, subject: deviceId, role: 'device' });
  const post = () =>
    fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', connection: 'close' },
      body: JSON.stringify({ deviceId, ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } }),
    }).then((r) => r.status);
  expect(await post()).toBe(202); // Kafka connected and warm

  // Requests in flight (held by the 50 ms linger) when the signal arrives.
  const inFlight = Array.from({ length: 20 }, post);
  await new Promise((r) => setTimeout(r, 10));
  const signalledAt = Date.now();
  child.kill('SIGTERM');
  // During the drain delay this pod is not ready, so load balancers stop sending, but it still answers.
  const ready = await fetch(`${url}/readyz`, { headers: { connection: 'close' } });
  expect(ready.status).toBe(503);
  const statuses = await Promise.all(inFlight);
  expect(statuses).toEqual(Array(20).fill(202));

  const code = await exited;
  expect(code).toBe(0);
  expect(Date.now() - signalledAt).toBeLessThan(8000);
  await expect(fetch(`${url}/healthz`)).rejects.toThrow(); // nothing listens any more
  const lines = logs
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { msg: string; level: string });
  expect(lines.map((l) => l.msg)).toEqual(expect.arrayContaining(['shutting down: draining requests', 'shut down']));
  expect(lines.every((l) => typeof l.level === 'string')).toBe(true); // the service logs JSON only
  expect(logs.join('') + stderr.join('')).not.toContain(token); // no secrets in logs
}, 60_000);

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
