/**
 * `operator-footprint`: the operator process (operator/src/main.ts, as the image runs it) managing several
 * LagScalers against the real kube-apiserver and Kafka: its resident memory and heap, the Kubernetes API calls
 * each reconcile makes, and the mean reconcile time, read from its own /metrics. The floor it is compared with
 * is a bare Node process that loads the same libraries (@kubernetes/client-node, kafkajs, prom-client) and
 * does nothing (bench/operator/library-floor.mjs): what is above it is the operator's own.
 */
import { AppsV1Api, KubeConfig } from '@kubernetes/client-node';
import { Kafka, logLevel } from 'kafkajs';
import { fork } from 'node:child_process';
import path from 'node:path';
import { freePort } from '@floodgate/devstack';
import { createDeployment, createLagScaler, freshNamespace, installCrd } from '../../operator/test/support/kube-fixtures';
import { topicWithGroup } from '../../operator/test/support/operator-fixtures';
import { buildService } from '../../scripts/build';
import { stopChild, withResources } from '../harness/resources';
import type { ResultRow, Scenario } from '../harness/scenario';
import { root, sleep, waitForHttp } from '../harness/services';

const LAG_SCALERS = 5;
const PARTITIONS = 12;
const MiB = 1024 * 1024;

/** Sums the samples of a Prometheus text metric whose labels pass `keep`. */
function sumMetric(text: string, name: string, keep: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(\{[^}]*\})? ([0-9.eE+-]+)$/.exec(line);
    if (m && m[1] === name && keep(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

const scenario: Scenario = {
  name: 'operator-footprint',
  description: `The operator process with ${LAG_SCALERS} LagScalers (each a Deployment and a ${PARTITIONS}-partition topic) against the real kube-apiserver and Kafka: memory, Kubernetes API calls per reconcile, reconcile time; floor: a bare Node process with the same libraries loaded`,
  needs: ['kafka', 'kube'],
  run: (ctx) =>
    withResources(ctx.log, async (res) => {
      const env = ctx.stack;
      const kc = new KubeConfig();
      kc.loadFromFile(env.KUBECONFIG!);
      const kafka = new Kafka({ clientId: 'bench-operator-footprint', brokers: env.KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      await admin.connect();
      res.defer(() => admin.disconnect());

      await installCrd(kc);
      const namespace = await freshNamespace(kc, 'bench-footprint');
      for (let i = 0; i < LAG_SCALERS; i++) {
        const name = `worker-${i}`;
        await createDeployment(kc, namespace, name, 1);
        res.defer(() => kc.makeApiClient(AppsV1Api).deleteNamespacedDeployment({ namespace, name }));
        const { topic, group } = await topicWithGroup(admin, `bench-footprint-${i}`, PARTITIONS);
        res.defer(() => admin.deleteTopics({ topics: [topic] }));
        await createLagScaler(kc, { name, namespace, target: name, topic, group, brokers: env.KAFKA_BROKERS!.split(','), spec: { maxReplicas: PARTITIONS } });
      }

      // The operator as the image runs it: the production bundle (scripts/build.ts) under plain node.
      const bundle = path.join(await buildService('operator'), 'main.js');
      const port = await freePort();
      const operator = fork(bundle, [], {
        execArgv: [],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          KUBECONFIG: env.KUBECONFIG!,
          POD_NAMESPACE: namespace,
          POD_NAME: 'bench-operator',
          WATCH_NAMESPACE: namespace,
          HTTP_PORT: String(port),
          LOG_LEVEL: 'warn',
        },
      });
      res.defer(() => stopChild(operator));
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/healthz`, operator);
      const floor = fork(path.join(root, 'bench/operator/library-floor.mjs'), [], {
        execArgv: [],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      res.defer(() => stopChild(floor));
      const floorPort = await new Promise<number>((resolve, reject) => {
        floor.once('message', (m: { port: number }) => resolve(m.port));
        floor.once('exit', (code) => reject(new Error(`library-floor.ts exited with ${code}`)));
      });

      // Settle (leader election, informer sync, the first polls), then sample for a few polling intervals.
      const settleMs = ctx.quick ? 10_000 : 20_000;
      const sampleMs = Math.max(ctx.seconds * 3, 30) * 1000;
      ctx.log(`operator-footprint: settling ${settleMs / 1000} s, then sampling ${sampleMs / 1000} s`);
      await sleep(settleMs);
      const metrics = async () => (await fetch(`${url}/metrics`)).text();
      const perReconcileCalls = (text: string) =>
        sumMetric(text, 'floodgate_operator_kube_api_requests_total', (l) => !/resource="leases"/.test(l) && !/verb="(list|watch)"/.test(l));
      const start = await metrics();
      let rssMax = 0;
      let heapMax = 0;
      let floorRss = 0;
      for (const until = Date.now() + sampleMs; Date.now() < until; await sleep(2000)) {
        const text = await metrics();
        rssMax = Math.max(rssMax, sumMetric(text, 'floodgate_operator_process_resident_memory_bytes'));
        heapMax = Math.max(heapMax, sumMetric(text, 'floodgate_operator_nodejs_heap_size_used_bytes'));
        const f = (await (await fetch(`http://127.0.0.1:${floorPort}/`)).json()) as { rss: number };
        floorRss = Math.max(floorRss, f.rss);
      }
      const end = await metrics();
      const reconciles =
        sumMetric(end, 'floodgate_operator_reconcile_duration_seconds_count') - sumMetric(start, 'floodgate_operator_reconcile_duration_seconds_count');
      const reconcileSeconds =
        sumMetric(end, 'floodgate_operator_reconcile_duration_seconds_sum') - sumMetric(start, 'floodgate_operator_reconcile_duration_seconds_sum');
      const calls = perReconcileCalls(end) - perReconcileCalls(start);
      const errors = sumMetric(end, 'floodgate_operator_reconcile_errors_total');
      if (reconciles === 0) throw new Error('the operator made no reconcile while sampled');
      if (rssMax === 0 || floorRss === 0) throw new Error('no memory figure read (a metric name changed?)');
      const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
      const rows: ResultRow[] = [
        { label: 'bare Node with the same libraries (floor)', ceiling: true, extra: { 'RSS MiB': round(floorRss / MiB) } },
        {
          label: `operator, ${LAG_SCALERS} LagScalers`,
          ceiling: false,
          errors,
          extra: {
            'RSS MiB': round(rssMax / MiB),
            'heap used MiB': round(heapMax / MiB),
            reconciles,
            'kube API calls / reconcile': round(calls / reconciles, 2),
            'reconcile mean ms': round((reconcileSeconds / reconciles) * 1000),
          },
        },
      ];
      return {
        scenario: 'operator-footprint',
        description: scenario.description,
        rows,
        ratios: [
          { name: 'operator RSS / bare Node with the same libraries', value: round(rssMax / floorRss, 2), unit: '×' },
          { name: 'Kubernetes API calls per reconcile (leases, list and watch excluded)', value: round(calls / reconciles, 2), unit: 'calls' },
          { name: 'operator RSS', value: round(rssMax / MiB), unit: 'MiB' },
        ],
        notes: [
          `the operator process is its production bundle (scripts/build.ts, dist/operator/main.js) under plain node, as the image runs it, polling every 5 s (the default); highest RSS and heap over ${sampleMs / 1000} s sampled every 2 s after ${settleMs / 1000} s to settle`,
          'calls per reconcile: floodgate_operator_kube_api_requests_total over the sample window, without the Lease renewals and the informer list/watch (not per reconcile), divided by the reconciles in the same window',
          'floor: bench/operator/library-floor.mjs, a plain Node process that imports @kubernetes/client-node, kafkajs and prom-client and serves its memoryUsage()',
        ],
      };
    }),
};

export default scenario;
