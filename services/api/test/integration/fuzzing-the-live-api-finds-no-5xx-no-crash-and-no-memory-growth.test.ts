/**
 * The fuzzer (support/fuzzer.ts, driven by support/fuzz-session.ts) against the API running as its own process,
 * on Kafka topics of its own, for FUZZ_SECONDS (default 20; `npm run fuzz -w @floodgate/api` or `make fuzz` runs
 * the same session for 300): a warm-up, then four rounds with the heap sampled after a forced GC after each.
 * It proves that no request got a 5xx (a 503 with Retry-After, designed backpressure, is counted apart), that
 * every 4xx was an RFC 9457 problem and no answer carried a stack trace, that the process never exited, that
 * the heap after the last rounds is within 20% of the heap after warm-up, and that every event answered 202 is
 * in Kafka exactly as the API must have produced it (and, when no ingest outcome was left unknown, nothing
 * else is). FUZZ_SEED repeats a run; the summary is written to .floodgate/test-results/api-fuzz.json.
 */
import { failures, fuzzLiveApi, writeFuzzSummary } from '../support/fuzz-session';
import { acquire, type Release } from '../support/stack-disruption-lock';

const seconds = Number(process.env.FUZZ_SECONDS ?? 20);
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;

let release: Release | undefined;
// No test of the API stops Kafka or Redis while this file runs.
beforeAll(async () => {
  release = await acquire('shared');
}, 310_000);

it(
  `answers ${seconds} s of random, mutated and malformed requests on every route without a 5xx, a crash or heap growth, and keeps every accepted event intact`,
  async () => {
    const s = await fuzzLiveApi({ seconds, seed });
    writeFuzzSummary(s);
    expect(s.exitedDuringRun).toBeNull();
    expect(s.violations).toEqual([]);
    expect(s.gcForced).toBe(true);
    const later = s.heapMiB.rounds.slice(2);
    expect({ afterWarmUp: s.heapMiB.afterWarmUp, later, within20Percent: Math.max(...later) <= s.heapMiB.afterWarmUp * 1.2 }).toEqual({
      afterWarmUp: s.heapMiB.afterWarmUp,
      later,
      within20Percent: true,
    });
    expect(s.acceptedEvents).toBeGreaterThan(0); // the valid share got through, so the Kafka check below means something
    expect({ missing: s.missingExamples, changed: s.changedExamples }).toEqual({ missing: [], changed: [] });
    if (s.undeterminedIngest === 0) expect(s.unexpected).toBe(0);
    expect(failures(s)).toEqual([]);
  },
  seconds * 1000 + 240_000,
);

// Declared last: Jest runs afterAll hooks in order, so the lock is freed after the file's own cleanup.
afterAll(() => release?.());
