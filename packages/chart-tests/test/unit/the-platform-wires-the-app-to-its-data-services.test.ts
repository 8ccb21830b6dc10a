/**
 * `helm install floodgate charts/floodgate-platform` needs nothing else: the app's settings name exactly the
 * Services and Secrets that Strimzi and CloudNativePG create for the rendered Kafka and Cluster (by their naming
 * rules), the Redis Service and Secret of the render, the KafkaUsers' names, and topics the Kafka chart creates.
 */
import { render, type K8sObject } from '../../src/charts';
import { podTemplates } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

let objects: K8sObject[];
beforeAll(async () => {
  objects = await render('floodgate-platform', { release: 'fg', namespace: 'data' });
}, 30000);

const one = (kind: string, name?: string) => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  expect({ kind, name, count: found.length }).toEqual({ kind, name, count: 1 });
  return found[0]!;
};
const env = (deployment: string) => {
  const c = podTemplates(objects).find((p) => p.owner === `Deployment/${deployment}`)!.spec.containers[0];
  return Object.fromEntries((c.env as { name: string; value?: string; valueFrom?: any }[]).map((e) => [e.name, e.value ?? e.valueFrom]));
};
const config = () => one('ConfigMap', 'fg-floodgate-config').data!;

test('KAFKA_BROKERS is the bootstrap Service Strimzi creates for the rendered Kafka, on its TLS SCRAM listener', () => {
  const kafka = one('Kafka');
  const listener = kafka.spec.kafka.listeners.find((l: any) => l.tls && l.authentication?.type === 'scram-sha-512');
  expect(config().KAFKA_BROKERS).toBe(`${kafka.metadata.name}-kafka-bootstrap:${listener.port}`);
  expect(config().KAFKA_SSL).toBe('true');
  expect(config().KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
  const api = podTemplates(objects).find((p) => p.owner === 'Deployment/fg-floodgate-api')!;
  expect(api.spec.volumes!.find((v: any) => v.name === 'kafka-ca').secret.secretName).toBe(`${kafka.metadata.name}-cluster-ca-cert`);
});

test('each component signs in as its own KafkaUser, reading the password from the Secret Strimzi writes for that user', () => {
  const users = objects.filter((o) => o.kind === 'KafkaUser').map((u) => u.metadata.name);
  for (const [deployment, user] of [
    ['fg-floodgate-api', 'fg-kafka-api'],
    ['fg-floodgate-worker', 'fg-kafka-worker'],
  ]) {
    expect(users).toContain(user);
    expect(env(deployment!).KAFKA_SASL_USERNAME).toBe(user);
    const pod = podTemplates(objects).find((p) => p.owner === `Deployment/${deployment}`)!;
    expect(pod.spec.volumes!.find((v: any) => v.name === 'kafka-sasl').secret.secretName).toBe(user);
  }
});

test('the LagScaler reads lag as the operator KafkaUser, whose password Strimzi takes from the Secret the LagScaler names', () => {
  const scaler = one('LagScaler');
  const user = one('KafkaUser', 'fg-kafka-operator');
  const secret = one('Secret', scaler.spec.kafka.sasl.secretRef.name);
  expect(user.spec.authentication.password.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
  expect(Buffer.from(secret.data!.username!, 'base64').toString()).toBe(user.metadata.name);
  expect(secret.data![scaler.spec.kafka.sasl.secretRef.passwordKey]).toBeTruthy();
  expect(scaler.spec.kafka.bootstrapServers).toEqual([config().KAFKA_BROKERS]);
  expect(scaler.spec.kafka.tls.caSecretRef.name).toBe('fg-kafka-cluster-ca-cert');
});

test('the ACLs grant each user only its topics and groups, and the topics are the ones the app uses', () => {
  const topics = Object.fromEntries(objects.filter((o) => o.kind === 'KafkaTopic').map((t) => [t.spec.topicName, t.spec.partitions]));
  expect(topics).toEqual({ 'floodgate.events': 12, 'floodgate.events.dlq': 3, 'floodgate.alerts': 3 });
  const acl = (user: string) =>
    one('KafkaUser', user)
      .spec.authorization.acls.map((a: any) => `${a.resource.type}:${a.resource.name ?? '*'}:${[...a.operations].sort().join('+')}`)
      .sort();
  expect(acl('fg-kafka-api')).toEqual(['cluster:*:IdempotentWrite', 'topic:floodgate.events:Describe+Write']);
  expect(acl('fg-kafka-operator')).toEqual(['group:floodgate-worker:Describe', 'topic:floodgate.events:Describe']);
  expect(acl('fg-kafka-worker')).toEqual(
    expect.arrayContaining(['group:floodgate-worker:Describe+Read', 'topic:floodgate.events:Describe+Read', 'topic:floodgate.events.dlq:Describe+Write']),
  );
  expect(one('LagScaler').spec.kafka).toMatchObject({ consumerGroup: 'floodgate-worker', topics: ['floodgate.events'] });
  expect(config().KAFKA_TOPIC_PREFIX).toBe('floodgate');
});

test('writes go to the CloudNativePG -rw Service and reads to -ro, as the app user, verifying the server against the cluster CA', () => {
  const cluster = one('Cluster').metadata.name;
  const worker = env('fg-floodgate-worker');
  expect(worker.DATABASE_URL).toBe(
    `postgresql://$(DATABASE_USERNAME):$(DATABASE_PASSWORD)@${cluster}-rw:5432/app?sslmode=verify-full&sslrootcert=/etc/floodgate/postgres-ca/ca.crt`,
  );
  expect(worker.DATABASE_READ_URL).toBe(worker.DATABASE_URL.replace(`${cluster}-rw`, `${cluster}-ro`));
  expect(worker.DATABASE_USERNAME).toEqual({ secretKeyRef: { name: `${cluster}-app`, key: 'username' } });
  expect(worker.DATABASE_PASSWORD).toEqual({ secretKeyRef: { name: `${cluster}-app`, key: 'password' } });
  expect(one('Cluster').spec.bootstrap.initdb).toMatchObject({ database: 'app', owner: 'app' });
  const pod = podTemplates(objects).find((p) => p.owner === 'Deployment/fg-floodgate-worker')!;
  expect(pod.spec.volumes!.find((v: any) => v.name === 'postgres-ca').secret.secretName).toBe(`${cluster}-ca`);
});

test('REDIS_URL names the rendered Redis Service and takes the password from the rendered Secret', () => {
  const svc = objects.find((o) => o.kind === 'Service' && o.spec.ports.some((p: any) => p.name === 'redis') && o.spec.clusterIP !== 'None')!;
  const api = env('fg-floodgate-api');
  expect(api.REDIS_URL).toBe(`redis://:$(REDIS_PASSWORD)@${svc.metadata.name}:${svc.spec.ports[0].port}/0`);
  const secret = one('Secret', api.REDIS_PASSWORD.secretKeyRef.name);
  expect(secret.data![api.REDIS_PASSWORD.secretKeyRef.key]).toBeTruthy();
  // Each variable that a URL references is defined before it, so Kubernetes expands it.
  const names = Object.keys(api);
  expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('REDIS_URL'));
  expect(names.indexOf('DATABASE_PASSWORD')).toBeLessThan(names.indexOf('DATABASE_URL'));
});

test("the app's NetworkPolicies let it reach exactly the Kafka, PostgreSQL and Redis pods of this release", () => {
  const egress = one('NetworkPolicy', 'fg-floodgate-api').spec.egress.map((e: any) => ({
    ports: e.ports.map((p: any) => p.port),
    to: e.to?.map((t: any) => t.podSelector?.matchLabels),
  }));
  expect(egress).toEqual(
    expect.arrayContaining([
      { ports: [9093], to: [{ 'strimzi.io/cluster': 'fg-kafka' }] },
      { ports: [5432], to: [{ 'cnpg.io/cluster': 'fg-postgres' }] },
      { ports: [6379], to: [{ 'app.kubernetes.io/name': 'floodgate-redis', 'app.kubernetes.io/instance': 'fg' }] },
    ]),
  );
  const redis = podTemplates(objects).find((p) => p.owner === 'StatefulSet/fg-redis')!;
  expect(redis.labels).toMatchObject({ 'app.kubernetes.io/name': 'floodgate-redis', 'app.kubernetes.io/instance': 'fg' });
  // Redis lets the app's pods in (they carry part-of: floodgate).
  const api = podTemplates(objects).find((p) => p.owner === 'Deployment/fg-floodgate-api')!;
  expect(one('NetworkPolicy', 'fg-redis').spec.ingress[0].from[0].podSelector.matchLabels).toEqual({ 'app.kubernetes.io/part-of': 'floodgate' });
  expect(api.labels['app.kubernetes.io/part-of']).toBe('floodgate');
  // Kafka's listener (Strimzi writes its NetworkPolicy from the peers) lets the app's pods in, too.
  const peers = one('Kafka').spec.kafka.listeners[0].networkPolicyPeers;
  for (const component of ['api', 'worker', 'operator']) {
    const pod = podTemplates(objects).find((p) => p.labels['app.kubernetes.io/component'] === component)!;
    expect(
      peers.some((peer: { podSelector: { matchLabels: Record<string, string> } }) =>
        Object.entries(peer.podSelector.matchLabels).every(([k, v]) => pod.labels[k] === v),
      ),
    ).toBe(true);
  }
});
