/**
 * Measures the operator's reaction time: from the moment a consumer group's lag crosses the
 * threshold (one produce request) to the scale patch (status.lastScaleTime), at the default 5 s
 * polling, over a few rounds at random phases. Needs the local stack (kafka, kube).
 * Usage: FLOODGATE_STATE_DIR=... npx tsx operator/bench/reaction-time.ts [rounds]
 */
import { stackEnv, up } from '@floodgate/devstack';
import {
  adminKubeConfig,
  createDeployment,
  createLagScaler,
  deploymentReplicas,
  freshNamespace,
  installCrd,
  readLagScaler,
} from '../test/support/kube-fixtures';
import { consumeAll, eventually, kafkaAdmin, sleep, testOperator, topicWithGroup } from '../test/support/operator-fixtures';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 5);
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  const kc = adminKubeConfig();
  await installCrd(kc);
  const namespace = await freshNamespace(kc, 'bench');
  await createDeployment(kc, namespace, 'worker', 1);
  const { kafka, admin } = kafkaAdmin();
  await admin.connect();
  const { topic, group } = await topicWithGroup(admin, 'bench', 12);
  const operator = testOperator(kc, { watchNamespace: namespace, leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 });
  await operator.start();
  await eventually('leader', async () => (operator.isLeader ? true : undefined), 20_000);
  await createLagScaler(kc, {
    name: 'worker',
    namespace,
    target: 'worker',
    topic,
    group,
    spec: { pollingIntervalSeconds: 5, scaleUp: { policies: [{ type: 'Pods', value: 100, periodSeconds: 15 }] }, scaleDown: { stabilizationWindowSeconds: 0 } },
  });
  const producer = kafka.producer();
  await producer.connect();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    await eventually('back at 1 replica', async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 1 ? true : undefined), 30_000, 200);
    await sleep(Math.random() * 5000);
    await producer.sendBatch({ acks: 1, topicMessages: [{ topic, messages: Array.from({ length: 12_000 }, (_, i) => ({ partition: i % 12, value: 'x' })) }] });
    const crossedAt = Date.now();
    await eventually('12 replicas', async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 12 ? true : undefined), 15_000, 50);
    // Status is written after the patch and the Event: wait for it rather than read the previous scale's time.
    const status = await eventually(
      'status at 12',
      async () => {
        const s = (await readLagScaler(kc, namespace, 'worker')).status;
        return s?.currentReplicas === 12 && s.lastScaleTime ? s : undefined;
      },
      5_000,
      50,
    );
    const patchedAt = Date.parse(status.lastScaleTime!);
    samples.push(patchedAt - crossedAt);
    console.log(`round ${r + 1}: lag crossed → scale patch ${patchedAt - crossedAt} ms`);
    await consumeAll(admin, topic, group);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `reaction (polling 5 s, n=${samples.length}): min ${samples[0]} ms, median ${samples[Math.floor(samples.length / 2)]} ms, max ${samples.at(-1)} ms`,
  );
  const d = (await operator.metrics.reconcileDuration.get()).values;
  const sum = d.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = d.find((v) => v.metricName?.endsWith('_count'))?.value ?? 1;
  console.log(`reconcile duration mean ${((sum / count) * 1000).toFixed(1)} ms over ${count} reconciles`);
  await producer.disconnect();
  await operator.stop();
  await admin.disconnect();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
