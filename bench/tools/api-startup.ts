/**
 * How long the API takes from its start to its first healthy /healthz, and how much memory it holds once up (RSS,
 * and the V8 heap in use from its own /metrics). For comparing two versions of what the API loads at start: run it on
 * each, a few times.
 *
 *   make up && eval "$(make -s env)"
 *   npx tsx bench/tools/api-startup.ts [starts, default 3]
 *
 * Each start runs the API as the benchmarks do (services/api/src/main.ts through tsx, the API's Node.js flags, no
 * tracing preload) against the local stack, waits 2 s after /healthz answers, reads the figures and stops it.
 */
import { withResources } from '../harness/resources';
import type { StackEnvironment } from '../harness/scenario';
import { runId, sleep, startApi } from '../harness/services';
import { readRssBytes } from '../scenarios/support/proc';

async function main(): Promise<void> {
  const starts = Number(process.argv[2] ?? 3);
  if (!(Number.isInteger(starts) && starts >= 1)) throw new Error(`starts must be a positive integer (got ${process.argv[2]})`);
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: make up && eval "$(make -s env)" first');
  await withResources(
    () => undefined,
    async (res) => {
      for (let i = 1; i <= starts; i++) {
        const started = performance.now();
        const api = await startApi(res, process.env as StackEnvironment, { REDIS_KEY_PREFIX: `startup-${runId()}`, KAFKA_TOPIC_PREFIX: 'startup' });
        const upMs = performance.now() - started;
        await sleep(2000);
        const heap = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? (\S+)$/m.exec(await api.metrics())?.[1];
        const rss = readRssBytes(api.child.pid!);
        console.log(
          `start ${i}: healthy after ${upMs.toFixed(0)} ms; RSS ${(rss / 2 ** 20).toFixed(0)} MiB; V8 heap in use ${heap ? `${(Number(heap) / 2 ** 20).toFixed(0)} MiB` : 'not reported'}`,
        );
        api.child.kill('SIGTERM');
        await new Promise((resolve) => api.child.once('exit', resolve));
      }
    },
  );
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
