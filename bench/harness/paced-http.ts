/**
 * HTTP load at a fixed rate with h2load (nghttp2-client, a Debian package), reported as a `ResultRow` with exact
 * percentiles of every request's latency.
 *
 * Why not autocannon: autocannon is closed loop. Each connection sends when its previous answer arrives, so at 64
 * connections it always runs at saturation and its p99 is mostly the queue those connections build (mean latency =
 * connections / throughput). A latency target such as "p99 <= 10 ms" is a promise at a given load; here each of the
 * connections sends `rate / connections` requests a second on its own timer (`--rps`), the connections opened over
 * one interval so their timers do not fire together, and every request's time is written to a log
 * (`--log-file`). h2load is C on libev: at 5,000 req/s it used about an eighth of a core here, where a Node.js
 * client would spend most of one and add its own event-loop delays to what it measures.
 *
 * The first `warmUpSeconds` (default 1) are sent but not counted, as h2load's own --warm-up-time would (it cannot be
 * combined with --rate): the step from an idle server to the full rate, with its 64 connections accepted at once,
 * is a transient rather than the steady state the percentiles describe. Its errors still count.
 *
 * One request is in flight per HTTP/1.1 connection: when an answer comes later than the connection's next send
 * time, that send waits for it, and its latency counts from when it left. A server that cannot keep up therefore
 * shows as a sent rate below the offered rate (reported in the row), not only in the latencies.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { percentile } from './load';
import type { Resources } from './resources';
import type { ResultRow } from './scenario';

export interface PacedHttpLoad {
  label: string;
  ceiling?: boolean;
  /** Base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  /** GET paths, sent in turn. */
  paths: string[];
  headers?: Record<string, string>;
  /** Offered requests per second, over all connections. */
  ratePerSecond: number;
  connections: number;
  /** Counted seconds, after `warmUpSeconds`. */
  seconds: number;
  /** Sent but not counted, before `seconds` (default 1). */
  warmUpSeconds?: number;
  extra?: Record<string, number | string>;
}

/** h2load's arguments for a paced GET load; `urisFile` lists the URLs, `logFile` receives one line per request. */
export function h2loadArgs(
  o: Pick<PacedHttpLoad, 'ratePerSecond' | 'connections' | 'seconds' | 'warmUpSeconds' | 'headers'>,
  urisFile: string,
  logFile: string,
): string[] {
  if (!(o.ratePerSecond >= 1)) throw new Error(`ratePerSecond must be at least 1, got ${o.ratePerSecond}`);
  if (!Number.isInteger(o.connections) || o.connections < 1) throw new Error(`connections must be a positive integer, got ${o.connections}`);
  // Connections open at `perMs` a millisecond (h2load's smallest period), spread over about one send interval.
  const intervalMs = (o.connections / o.ratePerSecond) * 1000;
  const perMs = Math.max(1, Math.ceil(o.connections / Math.max(1, intervalMs)));
  const args = [
    '--h1',
    `--clients=${o.connections}`,
    `--rps=${(o.ratePerSecond / o.connections).toFixed(3)}`,
    `--rate=${perMs}`,
    '--rate-period=1ms',
    `--requests=${Math.round(o.ratePerSecond * (o.seconds + (o.warmUpSeconds ?? 1)))}`,
    `--input-file=${urisFile}`,
    `--log-file=${logFile}`,
  ];
  for (const [k, v] of Object.entries(o.headers ?? {})) {
    if (/[\r\n]/.test(k + v)) throw new Error(`header ${k} has a line break`);
    args.push(`--header=${k}: ${v}`);
  }
  return args;
}

export interface H2loadLog {
  /** Requests counted: those sent after the warm-up. */
  requests: number;
  /** Requests sent during the warm-up, and how many of them got no 2xx. */
  warmUpRequests: number;
  warmUpFailed: number;
  /** Answers with a 2xx status. */
  ok: number;
  /** Requests per second from the first send to the last (what left, against what was offered). */
  sentPerSecond: number;
  /** 2xx answers per second over the same span. */
  okPerSecond: number;
  /** Percentiles of the 2xx answers' latencies, milliseconds. */
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statusCounts: Record<string, number>;
}

/**
 * Reads h2load's `--log-file`: per line, the send time (µs since the epoch), the HTTP status and the time to the end
 * of the response (µs). Any status outside 2xx (h2load may write a negative one for a stream that failed) is not a
 * latency sample. Requests sent within `warmUpSeconds` of the first
 * are counted apart.
 */
export function parseH2loadLog(text: string, warmUpSeconds = 0): H2loadLog {
  const latencies: number[] = [];
  const statusCounts: Record<string, number> = {};
  let first = Infinity;
  let last = -Infinity;
  let requests = 0;
  let warmUpRequests = 0;
  let warmUpFailed = 0;
  const lines = text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [start, status, duration] = line.split('\t').map(Number);
      if (!Number.isFinite(start) || !Number.isFinite(status) || !Number.isFinite(duration))
        throw new Error(`h2load log line is not "start<TAB>status<TAB>µs": ${JSON.stringify(line.slice(0, 100))}`);
      return [start!, status!, duration!] as const;
    });
  const countFrom = lines.reduce((min, [start]) => Math.min(min, start), Infinity) + warmUpSeconds * 1e6;
  for (const [start, status, duration] of lines) {
    if (start < countFrom) {
      warmUpRequests++;
      if (!(status >= 200 && status < 300)) warmUpFailed++;
      continue;
    }
    requests++;
    first = Math.min(first, start);
    last = Math.max(last, start);
    statusCounts[String(status)] = (statusCounts[String(status)] ?? 0) + 1;
    if (status >= 200 && status < 300) latencies.push(duration / 1000);
  }
  if (requests === 0) throw new Error(lines.length ? `h2load logged no requests after the ${warmUpSeconds} s warm-up` : 'h2load logged no requests');
  latencies.sort((a, b) => a - b);
  const spanS = requests > 1 ? (last - first) / 1e6 : NaN;
  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    requests,
    warmUpRequests,
    warmUpFailed,
    ok: latencies.length,
    sentPerSecond: requests > 1 ? (requests - 1) / spanS : NaN,
    okPerSecond: requests > 1 ? latencies.length / spanS : NaN,
    latencyMs: { p50: r(percentile(latencies, 50)), p90: r(percentile(latencies, 90)), p99: r(percentile(latencies, 99)), max: r(percentile(latencies, 100)) },
    statusCounts,
  };
}

/** Runs h2load at `ratePerSecond` for about `seconds` and returns the level as a row. */
export async function pacedHttpLoad(res: Resources, o: PacedHttpLoad): Promise<ResultRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-h2load-'));
  res.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  const uris = path.join(dir, 'uris.txt');
  const log = path.join(dir, 'requests.log');
  const base = o.url.replace(/\/$/, '');
  fs.writeFileSync(uris, o.paths.map((p) => `${base}${p}\n`).join(''));
  await res.exec('h2load', h2loadArgs(o, uris, log), (o.seconds + 60) * 1000).catch((err: Error & { cause?: { code?: string } }) => {
    if (err.cause?.code === 'ENOENT') throw new Error('h2load is not installed: apt-get install nghttp2-client (scripts/bootstrap.sh does)', { cause: err });
    throw err;
  });
  const warmUpSeconds = o.warmUpSeconds ?? 1;
  const parsed = parseH2loadLog(fs.readFileSync(log, 'utf8'), warmUpSeconds);
  // Every request asked for that did not get a 2xx is an error, whether h2load logged it with another status or not at all.
  const sent = Math.round(o.ratePerSecond * (o.seconds + warmUpSeconds));
  return {
    label: o.label,
    ceiling: o.ceiling ?? false,
    throughput: { value: Math.round(parsed.okPerSecond), unit: 'req/s' },
    latencyMs: parsed.latencyMs,
    errors: sent - parsed.ok - (parsed.warmUpRequests - parsed.warmUpFailed),
    extra: {
      connections: o.connections,
      'offered req/s': Math.round(o.ratePerSecond),
      'sent req/s': Math.round(parsed.sentPerSecond),
      'warm-up s': warmUpSeconds,
      ...o.extra,
    },
  };
}
