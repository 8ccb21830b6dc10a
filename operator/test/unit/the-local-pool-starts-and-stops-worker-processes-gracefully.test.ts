/**
 * The local pool runs real processes (a fake worker command): it starts replicas in free slots
 * with their own HTTP_PORT, stops the newest first with SIGTERM, kills one that ignores SIGTERM
 * after the grace period, and forgets one that exits on its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@floodgate/config';
import { LocalPool } from '../../src/local-pool';

const fakeWorker = path.join(__dirname, '..', 'support', 'fake-worker.mjs');
let dir: string;
let logFile: string;
const lines = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').trim().split('\n') : []);
const waitFor = async (what: string, ok: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms} ms; log:\n${lines().join('\n')}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-pool-'));
  logFile = path.join(dir, 'workers.log');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const pool = (env: Record<string, string> = {}, stopGraceMs = 2000) =>
  new LocalPool({
    command: process.execPath,
    args: [fakeWorker],
    env: { FAKE_WORKER_LOG: logFile, ...env },
    stopGraceMs,
    httpPortBase: 19464,
    log: createLogger('local-pool-test', 'silent'),
  });

test('scales up into free slots with their own HTTP_PORT, and down newest first with SIGTERM', async () => {
  const p = pool();
  try {
    await p.scaleTo(3);
    expect(p.size).toBe(3);
    await waitFor('three started', () => lines().filter((l) => l.startsWith('started')).length === 3);
    expect(
      lines()
        .map((l) => l.replace(/ pid=\d+/, ''))
        .sort(),
    ).toEqual(['started slot=0 port=19464', 'started slot=1 port=19465', 'started slot=2 port=19466']);
    const [oldest] = p.pids;
    await p.scaleTo(1);
    expect(p.size).toBe(1);
    expect(p.pids).toEqual([oldest]);
    expect(
      lines()
        .filter((l) => l.startsWith('stopped'))
        .map((l) => l.split(' ')[1])
        .sort(),
    ).toEqual(['slot=1', 'slot=2']);
    // A new replica takes the lowest free slot again.
    await p.scaleTo(2);
    await waitFor('slot 1 reused', () => lines().filter((l) => l.startsWith('started slot=1')).length === 2);
  } finally {
    await p.stop();
  }
  expect(lines().filter((l) => l.startsWith('stopped'))).toHaveLength(4);
});

test('a worker that ignores SIGTERM is killed after the grace period', async () => {
  const p = pool({ FAKE_WORKER_IGNORE_SIGTERM: '1' }, 300);
  await p.scaleTo(1);
  await waitFor('started', () => lines().some((l) => l.startsWith('started')));
  const t0 = Date.now();
  await p.stop();
  expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  expect(lines().some((l) => l.startsWith('ignored-sigterm'))).toBe(true);
  expect(p.size).toBe(0);
});

test('a worker that exits on its own leaves the pool, so the next decision replaces it', async () => {
  const p = pool();
  try {
    await p.scaleTo(2);
    await waitFor('two started', () => lines().filter((l) => l.startsWith('started')).length === 2);
    process.kill(p.pids[1]!, 'SIGKILL');
    await waitFor('the pool noticed', () => p.size === 1);
  } finally {
    await p.stop();
  }
});
