/**
 * An SRE reads a warning as something to act on, so a worker or notifier that starts, consumes and stops on a healthy
 * stack logs none. (kafkajs warned at every start that its default partitioner had changed, until both producers
 * named theirs.)
 */
import { spawnWorker, useWorkerTestBed, workerEnv, type WorkerProcess } from '../support/worker-fixture';

jest.setTimeout(90000);

const prefix = `wk-quiet-${process.pid}`;
const bed = useWorkerTestBed(prefix, 'worker_quiet');

/** The lines of a JSON log at warn level or above (pino's level names), or any line that is not JSON. */
function warningsIn(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        const level = (JSON.parse(line) as { level?: unknown }).level;
        return level === 'warn' || level === 'error' || level === 'fatal';
      } catch {
        return true;
      }
    });
}

async function startAndStop(worker: WorkerProcess, consuming: RegExp, stopped: RegExp): Promise<string> {
  await worker.waitForOutput(consuming, 60000);
  expect(await worker.stop('SIGTERM')).toBe(0);
  expect(worker.output()).toMatch(stopped);
  return worker.output();
}

it('the worker starts, consumes and stops without a warning', async () => {
  const output = await startAndStop(spawnWorker(workerEnv(prefix, bed.db.url)), /"msg":"worker consuming"/, /"msg":"worker stopped"/);
  expect(warningsIn(output)).toEqual([]);
});

it('the notifier starts, consumes and stops without a warning', async () => {
  const notifier = spawnWorker(
    workerEnv(prefix, bed.db.url, {
      NOTIFIER_GROUP_ID: `${prefix}-notifier`,
      NOTIFIER_WEBHOOK_URLS: 'http://127.0.0.1:9/hook',
      NOTIFIER_WEBHOOK_SECRET: 'a-secret-of-at-least-32-characters-long',
      NOTIFIER_ALLOW_PRIVATE_TARGETS: 'true',
    }),
    'notify',
  );
  const output = await startAndStop(notifier, /"msg":"notifier consuming"/, /"msg":"notifier stopped"/);
  expect(warningsIn(output)).toEqual([]);
});

it('the filter finds a warning line and output that is not JSON', () => {
  const lines = ['{"level":"info","msg":"a"}', '{"level":"warn","msg":"b"}', 'plain text', ''].join('\n');
  expect(warningsIn(lines)).toEqual(['{"level":"warn","msg":"b"}', 'plain text']);
});
