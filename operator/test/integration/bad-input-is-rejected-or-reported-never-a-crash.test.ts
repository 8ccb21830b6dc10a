/**
 * Bad input: what the schema can judge is rejected by the API server; what only the operator can
 * find out (missing target, unreachable Kafka, missing topic or Secret, a kind without /scale)
 * becomes Ready=False with a reason and a Warning Event, and the operator keeps serving the rest.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { stackEnv, up } from '@floodgate/devstack';
import type { Admin } from 'kafkajs';
import type { Operator } from '../../src/operator';
import { adminKubeConfig, createDeployment, createLagScaler, eventsFor, freshNamespace, installCrd, readLagScaler } from '../support/kube-fixtures';
import { eventually, kafkaAdmin, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(90_000);

let kc: KubeConfig;
let admin: Admin;
let operator: Operator;
let namespace: string;
let topic: string;
let group: string;

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'bad');
  ({ admin } = kafkaAdmin());
  await admin.connect();
  ({ topic, group } = await topicWithGroup(admin, 'bad', 3));
  operator = testOperator(kc, { watchNamespace: namespace });
  await operator.start();
  await eventually('the operator leads', async () => (operator.isLeader ? true : undefined), 10_000);
});

afterAll(async () => {
  await operator?.stop();
  await admin?.disconnect();
});

async function createRaw(name: string, spec: Record<string, unknown>): Promise<{ code?: number; message: string }> {
  try {
    await kc.makeApiClient(CustomObjectsApi).createNamespacedCustomObject({
      group: 'floodgate.dev',
      version: 'v1alpha1',
      namespace,
      plural: 'lagscalers',
      body: { apiVersion: 'floodgate.dev/v1alpha1', kind: 'LagScaler', metadata: { name }, spec },
    });
    return { message: 'created' };
  } catch (err) {
    return { code: (err as { code?: number }).code, message: String((err as { body?: unknown }).body ?? err) };
  }
}

const base = () => ({
  scaleTargetRef: { name: 'worker' },
  kafka: { bootstrapServers: process.env.KAFKA_BROKERS!.split(','), consumerGroup: group, topics: [topic] },
  maxReplicas: 5,
});

test.each([
  ['minReplicas above maxReplicas', { minReplicas: 6 }, 'minReplicas must be less than or equal to maxReplicas'],
  ['lagPerReplica of 0', { lagPerReplica: 0 }, 'spec.lagPerReplica'],
  ['an unknown select policy', { scaleUp: { selectPolicy: 'Fastest' } }, 'spec.scaleUp.selectPolicy'],
  ['no topics', { kafka: { bootstrapServers: ['127.0.0.1:9092'], consumerGroup: 'g', topics: [] } }, 'spec.kafka.topics'],
  ['a broker without a port', { kafka: { bootstrapServers: ['kafka'], consumerGroup: 'g', topics: ['t'] } }, 'spec.kafka.bootstrapServers[0]'],
])('the API server rejects %s', async (_name, over, expected) => {
  const res = await createRaw(`invalid-${Math.random().toString(36).slice(2, 8)}`, { ...base(), ...over });
  expect(res.code).toBe(422);
  expect(res.message).toContain(expected);
});

test.each([
  ['a missing target', { scaleTargetRef: { name: 'no-such-deployment' } }, 'TargetNotFound', /Deployment .*\/no-such-deployment does not exist/],
  [
    'a kind without a scale subresource',
    { scaleTargetRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' } },
    'TargetNotScalable',
    /ConfigMap \(v1\) has no scale subresource/,
  ],
  [
    'an unreachable Kafka',
    { kafka: { bootstrapServers: ['127.0.0.1:1'], consumerGroup: 'g', topics: ['t'] } },
    'KafkaUnavailable',
    /cannot connect to 127\.0\.0\.1:1/,
  ],
  [
    'a topic that does not exist',
    { kafka: { bootstrapServers: process.env.KAFKA_BROKERS!.split(','), consumerGroup: 'g', topics: ['no.such.topic'] } },
    'KafkaTopicNotFound',
    /topic no\.such\.topic does not exist/,
  ],
  [
    'a SASL Secret that does not exist',
    { kafka: { bootstrapServers: ['127.0.0.1:9093'], consumerGroup: 'g', topics: ['t'], sasl: { mechanism: 'scram-sha-512', secretRef: { name: 'absent' } } } },
    'SecretNotFound',
    /Secret .*\/absent does not exist/,
  ],
])('%s is reported as Ready=False and a Warning Event', async (_name, over, reason, message) => {
  const name = `bad-${reason.toLowerCase()}`;
  expect((await createRaw(name, { ...base(), pollingIntervalSeconds: 1, ...over })).message).toBe('created');
  const ls = await eventually(
    `Ready=False ${reason}`,
    async () => {
      const got = await readLagScaler(kc, namespace, name);
      return got.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False' && c.reason === reason) ? got : undefined;
    },
    20_000,
  );
  const ready = ls.status!.conditions!.find((c) => c.type === 'Ready')!;
  expect(ready.message).toMatch(message);
  expect(ls.status!.observedGeneration).toBe(ls.metadata.generation);
  const warnings = (await eventsFor(kc, namespace, name)).filter((e) => e.type === 'Warning' && e.reason === reason);
  expect(warnings).toHaveLength(1); // once per transition, not once per poll
});

test('after all that, the operator still reconciles a good LagScaler, and a fixed one recovers', async () => {
  await createDeployment(kc, namespace, 'worker', 1);
  await createLagScaler(kc, { name: 'good', namespace, target: 'worker', topic, group, spec: { pollingIntervalSeconds: 1, maxReplicas: 5 } });
  await eventually(
    'good is Ready',
    async () => ((await readLagScaler(kc, namespace, 'good')).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined),
    10_000,
  );
  await createDeployment(kc, namespace, 'no-such-deployment', 1);
  await eventually(
    'the missing target, now created, is Ready',
    async () => {
      const got = await readLagScaler(kc, namespace, 'bad-targetnotfound');
      return got.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
    },
    10_000,
  );
  expect((await operator.metrics.reconcileErrors.get()).values.map((v) => v.labels.reason).sort()).toEqual(
    ['KafkaTopicNotFound', 'KafkaUnavailable', 'SecretNotFound', 'TargetNotFound', 'TargetNotScalable'].sort(),
  );
});
