/**
 * A SIGTERM that arrives while the worker is still starting (joining the consumer group can take a rebalance) stops
 * it cleanly once it has started: exit code 0 and the group left, never Node's default action (killed by the signal).
 */
import { spawnWorker, useWorkerTestBed, workerEnv } from '../support/worker-fixture';

jest.setTimeout(60000);

const prefix = `wk-early-term-${process.pid}`;
const bed = useWorkerTestBed(prefix, 'worker_early_term');

it('stops with exit code 0 after a SIGTERM during start-up', async () => {
  const worker = spawnWorker(workerEnv(prefix, bed.db.url));
  await worker.waitForOutput(/"msg":"starting"/);
  const code = await worker.stop('SIGTERM');
  expect({ code, signal: worker.child.signalCode }).toEqual({ code: 0, signal: null });
  expect(worker.output()).toMatch(/"msg":"worker stopped"/);
});
