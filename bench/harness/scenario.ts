/**
 * The contract between the benchmark harness (`bench/run.ts`) and its scenarios
 * (`bench/scenarios/<name>.ts`). A scenario measures one thing AND its ceiling in the same
 * run, so that what it reports is a ratio a noisy 2-core machine cannot fake.
 */
/** The stack's settings as environment variables (what `stackEnv()` of @floodgate/devstack returns). */
export type StackEnvironment = Record<string, string>;

/** One load level of a scenario: a row in the Markdown table, a point in the plots. */
export interface ResultRow {
  /** e.g. "floodgate c=64" or "bare express c=64" or "ProducerPerformance". */
  label: string;
  /** Whether this row is the ceiling (the bare framework, the broker's tool, raw COPY, redis-benchmark). */
  ceiling: boolean;
  /** Throughput, e.g. { value: 4266, unit: 'req/s' } or { value: 36670, unit: 'events/s' }. */
  throughput?: { value: number; unit: string };
  /** Latency percentiles in milliseconds, when the load generator gives them. */
  latencyMs?: { p50: number; p90?: number; p99: number; max?: number };
  /** Requests that failed (non-2xx or transport errors). Must be reported, never hidden. */
  errors?: number;
  /** Anything else worth a column: connections, events per request, RSS MiB... */
  extra?: Record<string, number | string>;
}

/** A result divided by its ceiling, with the target where one exists. */
export interface Ratio {
  name: string;
  value: number;
  target?: number;
  /** For targets that are upper bounds (e.g. p99 <= 10 ms) rather than ratios. */
  comparison?: '>=' | '<=';
  /**
   * The unit of `value` and `target` when they are not a fraction (e.g. 'ms'). Without it, a `>=` entry is a
   * fraction of its ceiling (0.55, shown as 55 %) and a `<=` entry a plain number.
   */
  unit?: string;
}

/** A time series for the plots, e.g. replicas and lag over time in the scaling scenario. */
export interface Series {
  name: string;
  unit: string;
  /** [seconds since the scenario started, value] */
  points: Array<[number, number]>;
}

export interface ScenarioResult {
  scenario: string;
  description: string;
  rows: ResultRow[];
  ratios: Ratio[];
  series?: Series[];
  /** Plain facts a reader needs: load generator, record size, how the ceiling was measured. */
  notes?: string[];
}

export interface ScenarioContext {
  /** `make bench QUICK=1`: shorter runs so the whole profile finishes within a few minutes. */
  quick: boolean;
  /** Seconds per load level (shorter when quick). */
  seconds: number;
  /** Connection settings of the running local stack (Kafka, PostgreSQL primary/replica, Redis, kube). */
  stack: StackEnvironment;
  /** Folder of this run (bench/results/<timestamp>/), for extra artefacts a scenario writes. */
  runDir: string;
  log(message: string): void;
}

export interface Scenario {
  /** kebab-case, used on the command line: `make bench SCENARIOS=ingest-single,autoscaling`. */
  name: string;
  description: string;
  /** The stack servers this scenario needs; the harness starts their union once. */
  needs: Array<'kafka' | 'postgres' | 'redis' | 'kube'>;
  /**
   * Where it runs in a full run: lower first, then by name (default 100). E.g. worker-drain runs before e2e-latency,
   * which reuses the drain rate measured in the same run.
   */
  order?: number;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
