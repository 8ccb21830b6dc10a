/**
 * A wrong value stops `helm install` before anything reaches the cluster, with a message that names the value:
 * through values.schema.json for types and ranges, and through the templates for rules across values.
 */
import { render, type ChartName } from '../../src/charts';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

const cases: [ChartName, Record<string, string | number | boolean>, RegExp][] = [
  ['floodgate', { logLevel: 'loud' }, /\/logLevel.*must be one of/],
  ['floodgate', { 'kafka.sasl.mechanism': 'gssapi' }, /\/kafka\/sasl\/mechanism/],
  ['floodgate', { 'api.port': 80 }, /\/api\/port.*minimum/],
  ['floodgate', { 'api.autoscaling.targetCPUUtilizationPercentage': 0 }, /targetCPUUtilizationPercentage/],
  ['floodgate', { 'database.sslMode': 'sometimes' }, /\/database\/sslMode/],
  ['floodgate', { 'api.ingres.enabled': true }, /additional properties 'ingres' not allowed/],
  ['floodgate', { 'securityContext.readOnlyRootFilesystem': false }, /readOnlyRootFilesystem/],
  ['floodgate', { 'worker.lagScaler.maxReplicas': 24 }, /worker\.lagScaler\.maxReplicas \(24\) exceeds kafka\.eventsPartitions \(12\)/],
  ['floodgate', { 'kafka.brokers': '' }, /kafka\.brokers is required/],
  ['floodgate', { 'database.secret': '' }, /database\.secret is required/],
  ['floodgate', { 'database.caSecret': '' }, /database\.caSecret is required with database\.sslMode=verify-full/],
  ['floodgate', { 'notifier.enabled': true }, /notifier\.webhookSecret is required/],
  ['floodgate', { 'notifier.enabled': true, 'notifier.webhookSecret': 'hooks' }, /notifier\.webhookUrls needs at least one URL/],
  ['floodgate', { 'kafka.sasl.api.secret': '' }, /kafka\.sasl\.api\.username and kafka\.sasl\.api\.secret are required/],
  ['floodgate-kafka', { 'nodePools.controllers.enabled': false }, /must include the controller and broker roles/],
  ['floodgate-kafka', { 'topics.events.partitions': 0 }, /\/topics\/events\/partitions.*minimum/],
  ['floodgate-kafka', { 'nodePools.brokers.storage.size': '100GB' }, /\/nodePools\/brokers\/storage\/size/],
  ['floodgate-postgres', { 'cluster.instances': 1 }, /cluster\.synchronous\.enabled needs cluster\.instances >= 2/],
  ['floodgate-postgres', { 'cluster.synchronous.method': 'all' }, /\/cluster\/synchronous\/method/],
  ['floodgate-postgres', { 'backup.enabled': true }, /backup\.barmanObjectStore\.destinationPath is required/],
  ['floodgate-redis', { maxmemoryPolicy: 'allkeys-fifo' }, /\/maxmemoryPolicy/],
  ['floodgate-redis', { replicas: 3 }, /\/replicas.*maximum/],
  ['floodgate-platform', { 'floodgate.logLevel': 'loud' }, /floodgate:[\s\S]*\/logLevel/],
  ['floodgate-platform', { 'floodgate-kafka.enabled': 'yes' }, /floodgate-kafka\/enabled/],
];

test.each(cases)('%s with %o fails: %s', async (chart, set, message) => {
  await expect(render(chart, { set })).rejects.toThrow(message);
});

test('the same charts render with their defaults (the failures above come from the bad value alone)', async () => {
  for (const chart of new Set(cases.map(([c]) => c))) await expect(render(chart)).resolves.not.toHaveLength(0);
});
