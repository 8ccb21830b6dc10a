/**
 * `npm run fuzz -w @floodgate/api` / `make fuzz`: the fuzz session of the fuzz test, run longer (FUZZ_SECONDS,
 * default 300; FUZZ_SEED repeats a run). Uses the local stack in FLOODGATE_STATE_DIR, starting one (and stopping
 * it after) if none runs. Prints progress and a summary, writes .floodgate/test-results/api-fuzz-long.json, and
 * exits 1 if any check failed.
 */
import path from 'node:path';
import { defaultStateDir, down, readStack, stackEnv, up } from '@floodgate/devstack';
import { failures, fuzzLiveApi, writeFuzzSummary } from './fuzz-session';
import { acquire } from './stack-disruption-lock';

async function main(): Promise<number> {
  const seconds = Number(process.env.FUZZ_SECONDS ?? 300);
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
  const dir = path.resolve(defaultStateDir());
  process.env.FLOODGATE_STATE_DIR = dir; // the stack-disruption lock lives there
  const owned = !readStack(dir);
  const stack = await up({ dir, servers: ['kafka', 'postgres', 'redis'], log: (l) => process.stderr.write(`[stack] ${l}\n`) });
  Object.assign(process.env, stackEnv(stack));
  // Tests that stop servers of the same stack wait for this run, and this run waits for them.
  const release = await acquire('shared');
  try {
    const summary = await fuzzLiveApi({ seconds, seed, rounds: Math.max(4, Math.round(seconds / 30)), log: (l) => process.stderr.write(`[fuzz] ${l}\n`) });
    const file = writeFuzzSummary(summary, 'api-fuzz-long.json');
    const problems = failures(summary);
    process.stdout.write(
      `${[
        `requests ${summary.requests} in ${seconds} s (seed ${seed}); by status ${JSON.stringify(summary.byStatus)}`,
        `accepted events ${summary.acceptedEvents}, in Kafka ${summary.kafkaMessages} (missing ${summary.missing}, changed ${summary.changed}, unexpected ${summary.unexpected})`,
        `heap after GC: ${summary.heapMiB.afterWarmUp} MiB after warm-up, then ${summary.heapMiB.rounds.join(', ')} MiB`,
        problems.length
          ? `FAILED:\n  ${problems.join('\n  ')}`
          : 'passed: no 5xx, every 4xx a problem, no crash, no heap growth, every accepted event intact in Kafka',
        `summary: ${file}`,
      ].join('\n')}\n`,
    );
    return problems.length ? 1 : 0;
  } finally {
    release();
    if (owned) await down({ dir });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fuzz failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
