import { createWorkerMetrics } from '../../../services/worker/src/metrics';
import { workerBatching } from '../../scenarios/support/worker-batching';

it('divides the events stored by the transactions and the device states written by the events, over the level', async () => {
  const metrics = createWorkerMetrics();
  metrics.eventsProcessed.inc({ outcome: 'stored' }, 500);
  metrics.cacheWrites.inc({ result: 'written' }, 500);
  metrics.batchesPerTransaction.observe(6);
  const before = await metrics.registry.metrics();

  // The level: four transactions of 1,000 events; 2,600 device states written and 400 refused as stale.
  metrics.eventsProcessed.inc({ outcome: 'stored' }, 4000);
  metrics.eventsProcessed.inc({ outcome: 'duplicate' }, 50);
  for (let i = 0; i < 4; i++) metrics.batchesPerTransaction.observe(6);
  metrics.cacheWrites.inc({ result: 'written' }, 2600);
  metrics.cacheWrites.inc({ result: 'stale' }, 400);
  const after = await metrics.registry.metrics();

  expect(workerBatching(before, after)).toEqual({ transactions: 4, eventsPerTransaction: 1000, devicesPerEvent: 0.75 });
});

it('gives zeros, not NaN, for a level in which nothing was stored', async () => {
  const text = await createWorkerMetrics().registry.metrics();
  expect(workerBatching(text, text)).toEqual({ transactions: 0, eventsPerTransaction: 0, devicesPerEvent: 0 });
});
