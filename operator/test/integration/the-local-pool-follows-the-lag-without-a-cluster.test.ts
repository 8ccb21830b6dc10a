/**
 * Without a cluster, the operator's decision function sizes a pool of local processes (a fake
 * worker command) from the real consumer group's lag: up with a backlog, down once consumed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@floodgate/config';
import { stackEnv, up } from '@floodgate/devstack';
import type { Admin, Kafka } from 'kafkajs';
import { defaultScaleDown, defaultScaleUp, type Decision } from '../../src/decide-replicas';
import { LagReader } from '../../src/lag-reader';
import { LocalPool, runLocalScaler } from '../../src/local-pool';
import { consumeAll, eventually, kafkaAdmin, produceBacklog, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(60_000);

let kafka: Kafka;
let admin: Admin;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-scaler-'));

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka'] })));
  ({ kafka, admin } = kafkaAdmin());
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the pool grows with the backlog and shrinks when it is consumed', async () => {
  const { topic, group } = await topicWithGroup(admin, 'local', 4);
  const log = createLogger('local-scaler-test', 'silent');
  const pool = new LocalPool({
    command: process.execPath,
    args: [path.join(__dirname, '..', 'support', 'fake-worker.mjs')],
    env: { FAKE_WORKER_LOG: path.join(dir, 'w.log') },
    stopGraceMs: 2000,
    log,
  });
  const decisions: Decision[] = [];
  const scaler = runLocalScaler({
    pool,
    reader: new LagReader({ clientId: 'local-scaler-test', brokers: process.env.KAFKA_BROKERS!.split(','), connectionTimeout: 2000, requestTimeout: 5000 }),
    group,
    topics: [topic],
    offsetResetPolicy: 'earliest',
    spec: {
      minReplicas: 1,
      maxReplicas: 8,
      lagPerReplica: 1000,
      activationLag: 0,
      scaleUp: defaultScaleUp,
      scaleDown: { ...defaultScaleDown, stabilizationWindowSeconds: 0 },
    },
    pollingIntervalSeconds: 0.5,
    log,
    onDecision: (d) => decisions.push(d),
  });
  try {
    await eventually('one worker at no lag', async () => (pool.size === 1 ? true : undefined), 5_000);
    await produceBacklog(kafka, topic, 4, 750); // 3,000 messages → 3 replicas
    await eventually('three workers', async () => (pool.size === 3 ? true : undefined), 10_000);
    // More workers than partitions would idle: 40,000 → capped at 4 partitions.
    await produceBacklog(kafka, topic, 4, 10_000);
    await eventually('four workers', async () => (pool.size === 4 ? true : undefined), 15_000);
    expect(decisions.at(-1)!.reason).toMatch(/capped by 4 partitions/);
    await consumeAll(admin, topic, group);
    await eventually('back to one worker', async () => (pool.size === 1 ? true : undefined), 15_000);
  } finally {
    await scaler.stop();
  }
  expect(pool.size).toBe(0);
});
