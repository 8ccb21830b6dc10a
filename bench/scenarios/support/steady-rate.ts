/**
 * The highest steady rate a pipeline keeps up with, found by trying fixed rates: the standard "maximum sustainable
 * throughput" of stream-processing benchmarks (the highest rate at which latency does not keep growing). A push as
 * hard as the pipeline goes, counted until its backlog is drained, is an upper bound: the drain runs alone, in the
 * largest transactions, while at a steady rate every process shares the cores all the time.
 *
 * Pure logic: `keptUp` judges one level from its probes, `searchSteadyRate` walks the rates down from an upper
 * bound, the bound itself first (and one step back up between the last rate that fell behind and the first that
 * kept up); the caller runs the levels.
 */
import { percentile } from '../../harness/load';

/** One fixed-rate level as measured: what was offered, sent, failed, and each probe's send time and latency. */
export interface SteadyLevel {
  /** Events per second asked for. */
  offered: number;
  /** Events per second the load generator managed to send. */
  sent: number;
  /** Requests that did not get a 202 (a 503 is the pipeline refusing the rate). */
  failures: number;
  /** Probes that never became visible. */
  lostProbes: number;
  /** Per probe: [ms since the level started when it was sent, ms until it was visible]. */
  probes: Array<[number, number]>;
}

export interface Verdict {
  keptUp: boolean;
  /** Why not, or the latency figures it kept within. */
  reason: string;
  /** Median latency of the probes sent in the first and second half of the level (after the first `warmUpMs`). */
  firstHalfP50Ms: number;
  secondHalfP50Ms: number;
}

export interface KeptUpOptions {
  /** Probes sent this early are left out (the step from idle to the rate). Default 1,000 ms. */
  warmUpMs?: number;
  /** The generator must send at least this share of the offered rate. Default 0.95. */
  minSentShare?: number;
  /** The second half's median may be this factor of the first half's... Default 1.25. */
  growthFactor?: number;
  /** ...plus this many ms (so a few ms of noise on a low latency is not growth). Default 50 ms. */
  growthFloorMs?: number;
}

/** The median as the harness's latency rows give it (nearest rank; NaN for none). */
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

/**
 * A level kept up when nothing was refused or lost, the rate was sent, and the latency stayed flat: the median of the
 * second half's probes is at most `growthFactor` times the first half's plus `growthFloorMs`. A backlog that grows
 * for the whole level from the end of the warm-up more than doubles the median between the halves' middles; one that
 * grows for a while and then holds (the worker's batches grow with the backlog) is flat, and counts as kept up.
 */
export function keptUp(level: SteadyLevel, o: KeptUpOptions = {}): Verdict {
  const warmUpMs = o.warmUpMs ?? 1000;
  const minSentShare = o.minSentShare ?? 0.95;
  const growthFactor = o.growthFactor ?? 1.25;
  const growthFloorMs = o.growthFloorMs ?? 50;
  const counted = level.probes.filter(([sentAt]) => sentAt >= warmUpMs).sort((a, b) => a[0] - b[0]);
  const from = counted[0]?.[0] ?? 0;
  const to = counted.at(-1)?.[0] ?? 0;
  const middle = (from + to) / 2;
  const first = median(counted.filter(([t]) => t < middle).map(([, ms]) => ms));
  const second = median(counted.filter(([t]) => t >= middle).map(([, ms]) => ms));
  const figures = { firstHalfP50Ms: first, secondHalfP50Ms: second };
  const no = (reason: string): Verdict => ({ keptUp: false, reason, ...figures });
  if (level.failures > 0) return no(`${level.failures} requests were refused or failed`);
  if (level.lostProbes > 0) return no(`${level.lostProbes} probes never became visible`);
  if (level.sent < level.offered * minSentShare) return no(`only ${Math.round(level.sent)} of ${Math.round(level.offered)} events/s were sent`);
  if (!(Number.isFinite(first) && Number.isFinite(second))) return no('too few probes after the warm-up to tell');
  if (second > first * growthFactor + growthFloorMs)
    return no(`latency grew: median ${Math.round(first)} ms in the first half, ${Math.round(second)} ms in the second`);
  return { keptUp: true, reason: `median ${Math.round(first)} ms in the first half, ${Math.round(second)} ms in the second`, ...figures };
}

export interface SearchOptions {
  /** Each rate tried is this factor of the one before, from `upperBound` down. Default 0.8. */
  factor?: number;
  /** Most rates tried on the way down, the bound included. Default 7 (down to 0.8⁶, about a quarter of it). */
  maxSteps?: number;
}

export interface SearchStep {
  rate: number;
  verdict: Verdict;
}

export interface SearchResult {
  /** The highest rate tried that kept up. */
  rate: number;
  steps: SearchStep[];
}

/**
 * Tries `upperBound`, `× factor`, `× factor²`, ... until one keeps up; below the bound, then once the geometric middle
 * between it and the rate above it that fell behind (so the answer is within about half a step). Throws if none kept
 * up within `maxSteps`, naming every rate tried.
 */
export async function searchSteadyRate(upperBound: number, measure: (rate: number) => Promise<Verdict>, o: SearchOptions = {}): Promise<SearchResult> {
  const factor = o.factor ?? 0.8;
  const maxSteps = o.maxSteps ?? 7;
  if (!(upperBound > 0)) throw new RangeError(`the upper bound must be positive, got ${upperBound}`);
  if (!(factor > 0 && factor < 1)) throw new RangeError(`factor must be in (0, 1), got ${factor}`);
  const steps: SearchStep[] = [];
  let above: number | undefined;
  for (let k = 0; k < maxSteps; k++) {
    const rate = Math.round(upperBound * factor ** k);
    const verdict = await measure(rate);
    steps.push({ rate, verdict });
    if (!verdict.keptUp) {
      above = rate;
      continue;
    }
    if (above === undefined) return { rate, steps }; // the bound itself kept up
    const between = Math.round(Math.sqrt(rate * above));
    if (between > rate && between < above) {
      const refined = await measure(between);
      steps.push({ rate: between, verdict: refined });
      if (refined.keptUp) return { rate: between, steps };
    }
    return { rate, steps };
  }
  throw new Error(`no steady rate kept up: ${steps.map((s) => `${s.rate} events/s (${s.verdict.reason})`).join('; ')}`);
}
