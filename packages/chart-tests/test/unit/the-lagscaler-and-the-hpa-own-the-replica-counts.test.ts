/**
 * The chart leaves `spec.replicas` unset where something else sizes a Deployment (the LagScaler for the worker,
 * the HPA for the API), so `helm upgrade` never resets a scaled-out worker; the LagScaler never goes past the
 * partitions of the events topic, counting the consumers each worker pod runs.
 */
import { render, type K8sObject } from '../../src/charts';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

const deployment = (objects: K8sObject[], name: string) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!;

test('with the LagScaler on, the worker Deployment has no replica count of its own and the LagScaler targets it', async () => {
  const objects = await render('floodgate');
  expect(deployment(objects, 'floodgate-worker').spec.replicas).toBeUndefined();
  const scaler = objects.find((o) => o.kind === 'LagScaler')!;
  expect(scaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'floodgate-worker' });
  expect(scaler.spec.maxReplicas).toBeLessThanOrEqual(12);
  expect(scaler.spec.kafka.topics).toEqual(['floodgate.events']);
});

test('with the LagScaler off, the worker gets worker.replicas and no LagScaler exists', async () => {
  const objects = await render('floodgate', { set: { 'worker.lagScaler.enabled': false, 'worker.replicas': 4 } });
  expect(deployment(objects, 'floodgate-worker').spec.replicas).toBe(4);
  expect(objects.some((o) => o.kind === 'LagScaler')).toBe(false);
});

test('with the HPA on, the API Deployment has no replica count; with it off, api.replicas', async () => {
  const on = await render('floodgate');
  expect(deployment(on, 'floodgate-api').spec.replicas).toBeUndefined();
  expect(on.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec.metrics[0].resource.name).toBe('cpu');
  const off = await render('floodgate', { set: { 'api.autoscaling.enabled': false, 'api.replicas': 3 } });
  expect(deployment(off, 'floodgate-api').spec.replicas).toBe(3);
  expect(off.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
});

test('more partitions allow a larger maxReplicas', async () => {
  const objects = await render('floodgate', { set: { 'kafka.eventsPartitions': 24, 'worker.lagScaler.maxReplicas': 24 } });
  expect(objects.find((o) => o.kind === 'LagScaler')!.spec.maxReplicas).toBe(24);
});

test.each([undefined, 1, 3])('worker.consumers=%s gives the worker its WORKER_CONSUMERS and the LagScaler the same consumersPerReplica', async (consumers) => {
  const objects = await render('floodgate', consumers === undefined ? {} : { set: { 'worker.consumers': consumers } });
  const env = deployment(objects, 'floodgate-worker').spec.template.spec.containers[0].env as { name: string; value?: string }[];
  const perPod = Number(env.find((e) => e.name === 'WORKER_CONSUMERS')!.value);
  expect(perPod).toBe(consumers ?? 2);
  expect(objects.find((o) => o.kind === 'LagScaler')!.spec.consumersPerReplica).toBe(perPod);
});
