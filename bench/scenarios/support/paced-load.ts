/**
 * The pure parts of the paced keep-alive load: when each connection sends, how connections are
 * split over load processes, and how their reports merge into one result with exact percentiles.
 *
 * Why not autocannon's own pacing: autocannon limits a connection to whole requests per second
 * (`connectionRate`, at least 1/s), so 10,000 connections would offer at least 10,000 req/s, more
 * than one API process takes on two cores. Here each connection sends one request every
 * `intervalMs`, with the connections' phases spread evenly over the interval, so the offered rate is
 * `connections / interval` and every connection stays open (idle in between) the whole time.
 */
import { percentile } from '../../harness/load';

export interface PacingPlan {
  connections: number;
  /** Offered requests per second over all connections. */
  ratePerSecond: number;
  /** Each connection sends one request per interval. */
  intervalMs: number;
  /** Connections open one after another over this long (connection i at i / connections of it), not all at once. */
  rampMs: number;
  /** Phases are (index × stride mod connections) / connections of the interval: evenly spread, and unrelated to the opening order. */
  stride: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The first integer from 0.618 × n on that shares no factor with n, so index × stride mod n visits every residue once. */
export function strideFor(n: number): number {
  let s = Math.max(1, Math.floor(0.618 * n));
  while (gcd(s, n) !== 1) s++;
  return s;
}

/**
 * One request per connection per interval, so that all connections together offer `ratePerSecond`;
 * connections open over `rampIntervals` intervals, so new connections arrive at connections / ramp per second.
 */
export function pacingPlan(connections: number, ratePerSecond: number, rampIntervals = 1): PacingPlan {
  if (!Number.isInteger(connections) || connections < 1) throw new Error(`connections must be a positive integer, got ${connections}`);
  if (!(ratePerSecond > 0)) throw new Error(`ratePerSecond must be positive, got ${ratePerSecond}`);
  if (!(rampIntervals >= 1)) throw new Error(`rampIntervals must be at least 1, got ${rampIntervals}`);
  const intervalMs = (connections / ratePerSecond) * 1000;
  return { connections, ratePerSecond, intervalMs, rampMs: rampIntervals * intervalMs, stride: strideFor(connections) };
}

/** Offset of connection `index` within the interval: phases evenly spread, so sends never bunch up. */
export function phaseMs(plan: PacingPlan, index: number): number {
  return (((index * plan.stride) % plan.connections) * plan.intervalMs) / plan.connections;
}

/**
 * The time of a connection's k-th slot (k = 0, 1, ...). One request is in flight per connection:
 * when an answer comes after the next slot, the next request leaves at once, late, and the
 * lateness is reported (so a slow server shows up as send lag, not as a quietly lower load).
 */
export function slotAt(plan: PacingPlan, startAt: number, index: number, k: number): number {
  return startAt + phaseMs(plan, index) + k * plan.intervalMs;
}

/** The first slot of a connection: its first at or after the moment it opens during the ramp. */
export function firstSlot(plan: PacingPlan, index: number): number {
  const opensAt = (index / plan.connections) * plan.rampMs;
  return Math.max(0, Math.ceil((opensAt - phaseMs(plan, index)) / plan.intervalMs - 1e-9));
}

/** Connection indices for each of `processes` load processes, interleaved so each process covers the whole interval. */
export function splitConnections(connections: number, processes: number): number[][] {
  const n = Math.max(1, Math.min(processes, connections));
  const out: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < connections; i++) out[i % n]!.push(i);
  return out;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of all samples (not a histogram's approximation); zeros when there are none. */
export function percentiles(samples: number[]): Percentiles {
  if (samples.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
}

/** What one load process reports at the end. */
export interface LoadReport {
  connections: number;
  /** TCP connections the process opened (more than `connections` means some were reconnected). */
  connectsOpened: number;
  /** Sockets that closed before the load ended (by the server, a reset, or a timeout). */
  closedEarly: number;
  /** Open sockets when the measurement window began and when it ended. */
  openAtWindowStart: number;
  openAtWindowEnd: number;
  /** Requests sent and 2xx answers among them, inside the measurement window (the throughput). */
  sent: number;
  ok: number;
  /** Failures over the whole run (ramp, window and the last answers): non-2xx answers by status... */
  non2xx: number;
  statusCounts: Record<string, number>;
  /** ...transport errors by code (ECONNRESET...), and requests that got no answer within the timeout. */
  errors: Record<string, number>;
  timeouts: number;
  /** Latency of every 2xx response in the window, milliseconds. */
  latenciesMs: number[];
  /** Requests sent during the ramp and settling (before the window), and how many of them failed. */
  rampSent: number;
  rampFailed: number;
  /** How late sends left compared with their slot (the load process's own lag), milliseconds. */
  sendLagP99Ms: number;
  windowMs: number;
}

export interface MergedLoad {
  connections: number;
  connectsOpened: number;
  closedEarly: number;
  openAtWindowStart: number;
  openAtWindowEnd: number;
  sent: number;
  ok: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  errors: Record<string, number>;
  timeouts: number;
  /** Transport errors + timeouts + non-2xx, over the whole run. */
  failed: number;
  rampSent: number;
  rampFailed: number;
  /** 2xx responses per second in the window. */
  okPerSecond: number;
  latencyMs: Percentiles;
  sendLagP99Ms: number;
}

const addCounts = (into: Record<string, number>, from: Record<string, number>) => {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
};

export function mergeLoadReports(reports: LoadReport[]): MergedLoad {
  if (reports.length === 0) throw new Error('no load reports to merge');
  const sum = (f: (r: LoadReport) => number) => reports.reduce((s, r) => s + f(r), 0);
  const statusCounts: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const r of reports) {
    addCounts(statusCounts, r.statusCounts);
    addCounts(errors, r.errors);
  }
  const latencies = reports.flatMap((r) => r.latenciesMs);
  const windowMs = Math.max(...reports.map((r) => r.windowMs));
  const transport = Object.values(errors).reduce((s, v) => s + v, 0);
  const non2xx = sum((r) => r.non2xx);
  const timeouts = sum((r) => r.timeouts);
  const ok = sum((r) => r.ok);
  return {
    connections: sum((r) => r.connections),
    connectsOpened: sum((r) => r.connectsOpened),
    closedEarly: sum((r) => r.closedEarly),
    openAtWindowStart: sum((r) => r.openAtWindowStart),
    openAtWindowEnd: sum((r) => r.openAtWindowEnd),
    sent: sum((r) => r.sent),
    ok,
    non2xx,
    statusCounts,
    errors,
    timeouts,
    failed: transport + timeouts + non2xx,
    rampSent: sum((r) => r.rampSent),
    rampFailed: sum((r) => r.rampFailed),
    okPerSecond: windowMs > 0 ? ok / (windowMs / 1000) : 0,
    latencyMs: percentiles(latencies),
    sendLagP99Ms: Math.max(...reports.map((r) => r.sendLagP99Ms)),
  };
}
