/**
 * The operator process (src/main.ts), authenticated with a ServiceAccount token bound only to the
 * RBAC rules the chart ships, watches, leads, reads Kafka over SASL_SSL with credentials from
 * Secrets, scales, and serves /healthz, /readyz and /metrics. Killed with SIGKILL, its Lease
 * expires and a standby takes over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, RbacAuthorizationV1Api, type KubeConfig, type V1PolicyRule } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { freePort, repoRoot, stackEnv, up } from '@floodgate/devstack';
import type { Admin, Kafka } from 'kafkajs';
import type { Operator } from '../../src/operator';
import { adminKubeConfig, createDeployment, createLagScaler, deploymentReplicas, freshNamespace, installCrd, readLagScaler } from '../support/kube-fixtures';
import { eventually, kafkaAdmin, produceBacklog, testOperator, topicWithGroup } from '../support/operator-fixtures';

jest.setTimeout(120_000);

let kc: KubeConfig;
let kafka: Kafka;
let admin: Admin;
let namespace: string;
let child: ChildProcess | undefined;
let childLog = '';
let standby: Operator | undefined;
let port: number;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'operator-rbac-'));

async function serviceAccountKubeconfig(ns: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  const rules = parse(fs.readFileSync(path.join(repoRoot(), 'charts', 'floodgate', 'files', 'operator-rbac-rules.yaml'), 'utf8')) as V1PolicyRule[];
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'floodgate-operator' } } });
  // A namespaced Role: the chart's watchNamespace mode, the least the operator can run with.
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'floodgate-operator' }, rules } });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'floodgate-operator' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'floodgate-operator' },
      subjects: [{ kind: 'ServiceAccount', name: 'floodgate-operator', namespace: ns }],
    },
  });
  const tr = await core.createNamespacedServiceAccountToken({
    namespace: ns,
    name: 'floodgate-operator',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const file = path.join(tmp, 'kubeconfig');
  fs.writeFileSync(
    file,
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '${kc.getCurrentCluster()!.server}', insecure-skip-tls-verify: true}}]\nusers: [{name: sa, user: {token: '${tr.status!.token}'}}]\ncontexts: [{name: c, context: {cluster: c, user: sa, namespace: ${ns}}}]\ncurrent-context: c\n`,
    { mode: 0o600 },
  );
  return file;
}

const get = async (p: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return { status: res.status, text: await res.text() };
};

beforeAll(async () => {
  Object.assign(process.env, stackEnv(await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kafka', 'kube'] })));
  kc = adminKubeConfig();
  await installCrd(kc);
  namespace = await freshNamespace(kc, 'rbac');
  ({ kafka, admin } = kafkaAdmin());
  await admin.connect();
  const kubeconfig = await serviceAccountKubeconfig(namespace);
  port = await freePort();
  child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'operator', 'src', 'main.ts')], {
    cwd: repoRoot(),
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      KUBECONFIG: kubeconfig,
      POD_NAMESPACE: namespace,
      POD_NAME: 'operator-child',
      WATCH_NAMESPACE: namespace,
      HTTP_PORT: String(port),
      LEASE_DURATION_SECONDS: '3',
      LEASE_RENEW_DEADLINE_SECONDS: '2',
      LEASE_RETRY_PERIOD_SECONDS: '0.5',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (childLog += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (childLog += d.toString()));
  await eventually('the operator process leads', async () => (JSON.parse((await get('/healthz')).text).leader === true ? true : undefined), 30_000, 200).catch(
    (err) => {
      throw new Error(`${(err as Error).message}\n${childLog}`);
    },
  );
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await standby?.stop();
  await admin?.disconnect();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('with only its Role, the operator reads Kafka over SASL_SSL from Secrets, scales, and serves health and metrics', async () => {
  const core = kc.makeApiClient(CoreV1Api);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: 'kafka-user' },
      stringData: { username: process.env.FLOODGATE_KAFKA_SCRAM_USERNAME!, password: process.env.FLOODGATE_KAFKA_SCRAM_PASSWORD! },
    },
  });
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: 'kafka-ca' }, stringData: { 'ca.crt': fs.readFileSync(process.env.FLOODGATE_KAFKA_CA_FILE!, 'utf8') } },
  });
  const { topic, group } = await topicWithGroup(admin, 'rbac', 6);
  await createDeployment(kc, namespace, 'worker', 1);
  await createLagScaler(kc, {
    name: 'worker',
    namespace,
    target: 'worker',
    topic,
    group,
    spec: {
      pollingIntervalSeconds: 1,
      kafka: {
        bootstrapServers: process.env.FLOODGATE_KAFKA_SASL_SSL_BROKERS!.split(','),
        consumerGroup: group,
        topics: [topic],
        tls: { enabled: true, caSecretRef: { name: 'kafka-ca' } },
        sasl: { mechanism: 'scram-sha-512', secretRef: { name: 'kafka-user' } },
      },
      scaleUp: { policies: [{ type: 'Pods', value: 10, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 0 },
    },
  });
  await produceBacklog(kafka, topic, 6, 1_000);
  await eventually('6 replicas', async () => ((await deploymentReplicas(kc, namespace, 'worker')) === 6 ? true : undefined), 15_000).catch((err) => {
    throw new Error(`${(err as Error).message}\n${childLog.slice(-3000)}`);
  });
  // The scale patch lands before the status write of the same reconcile, so wait for the status too.
  const ready = await eventually(
    'a Ready condition',
    async () => (await readLagScaler(kc, namespace, 'worker')).status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True'),
    5_000,
  );
  expect(ready).toMatchObject({ status: 'True', reason: 'Reconciled' });

  expect((await get('/readyz')).status).toBe(200);
  // A reconcile may have measured while the backlog was still being produced (polling every second): wait for the
  // one that saw all of it.
  const lagGauge = new RegExp(`floodgate_operator_lag_messages\\{namespace="${namespace}",lagscaler="worker"\\} 6000`);
  const metrics = await eventually(
    'the lag gauge at 6000',
    async () => {
      const text = (await get('/metrics')).text;
      return lagGauge.test(text) ? text : undefined;
    },
    10_000,
  );
  expect(metrics).toMatch(lagGauge);
  expect(metrics).toMatch(/floodgate_operator_leader 1/);
  expect(metrics).not.toMatch(/code="403"/);
  expect(metrics).toMatch(/floodgate_operator_reconcile_duration_seconds_count \d+/);
  const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child!.pid}/status`, 'utf8'))![1]);
  console.log(`operator process RSS ${(rssKb / 1024).toFixed(1)} MiB (tsx-loaded, one LagScaler, SASL_SSL Kafka client)`);
  expect(childLog).not.toMatch(/"level":"(error|fatal)"/);
});

test('killed without releasing its Lease, the leader is replaced once the Lease expires', async () => {
  standby = testOperator(kc, { watchNamespace: namespace, identity: 'standby', leaseNamespace: namespace, leaseName: 'floodgate-operator' });
  await standby.start();
  expect(standby.isLeader).toBe(false);
  child!.kill('SIGKILL');
  const killedAt = Date.now();
  await eventually('the standby leads', async () => (standby!.isLeader ? true : undefined), 15_000);
  const took = Date.now() - killedAt;
  console.log(`standby took over ${took} ms after the leader was killed (lease 3 s)`);
  expect(took).toBeGreaterThanOrEqual(2_000);
});
