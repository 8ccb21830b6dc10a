/**
 * Ceilings measured by the servers' own tools: Kafka's ProducerPerformance (from the stack's Kafka jars) and
 * redis-benchmark (the Debian redis-tools binary), both on loopback and bounded in time. The output parsers are
 * separate pure functions so the unit tests can pin the formats down.
 */
import type { Resources } from './resources';
import type { ResultRow, StackEnvironment } from './scenario';

export interface ProducerPerformanceResult {
  records: number;
  recordsPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p99Ms: number;
  line: string;
}

/** Parses ProducerPerformance's final summary line ("N records sent, X records/sec (...), A ms avg latency, ..."). */
export function parseProducerPerformance(stdout: string): ProducerPerformanceResult {
  const line = stdout
    .split('\n')
    .reverse()
    .find((l) => /records sent, .* 50th/.test(l));
  const m =
    line && /(\d+) records sent, ([\d.]+) records\/sec .*?([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, .*?(\d+) ms 99th,/.exec(line);
  if (!line || !m) throw new Error(`no ProducerPerformance summary in its output: ${stdout.trim().split('\n').slice(-3).join(' | ')}`);
  return {
    records: Number(m[1]),
    recordsPerSec: Math.round(Number(m[2])),
    avgMs: Number(m[3]),
    maxMs: Number(m[4]),
    p50Ms: Number(m[5]),
    p99Ms: Number(m[6]),
    line: line.trim(),
  };
}

/** The broker's producer throughput for `recordSize`-byte records, acks=all and idempotence (as the API produces). */
export async function producerPerformance(
  res: Resources,
  stack: StackEnvironment,
  opts: { topic: string; records: number; recordSize: number; timeoutMs: number },
): Promise<ProducerPerformanceResult> {
  const { stdout } = await res.exec(
    'java',
    [
      '-Xmx512m',
      '-cp',
      `${stack.FLOODGATE_KAFKA_LIBS}/*`,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      opts.topic,
      '--num-records',
      String(opts.records),
      '--record-size',
      String(opts.recordSize),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${stack.KAFKA_BROKERS}`,
      'acks=all',
      'enable.idempotence=true',
    ],
    opts.timeoutMs,
  );
  return parseProducerPerformance(stdout);
}

export interface RedisBenchmarkResult {
  test: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Parses `redis-benchmark --csv` (Redis 7: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",...). */
export function parseRedisBenchmarkCsv(csv: string): RedisBenchmarkResult[] {
  const lines = csv
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const unquote = (l: string) => l.split(',').map((c) => c.replace(/^"|"$/g, ''));
  const header = unquote(lines[0] ?? '');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`redis-benchmark CSV has no "${name}" column (header: ${lines[0] ?? '(empty)'})`);
    return i;
  };
  const [test, rps, p50, p99, max] = [col('test'), col('rps'), col('p50_latency_ms'), col('p99_latency_ms'), col('max_latency_ms')];
  return lines.slice(1).map((l) => {
    const c = unquote(l);
    return { test: c[test]!, rps: Number(c[rps]), p50Ms: Number(c[p50]), p99Ms: Number(c[p99]), maxMs: Number(c[max]) };
  });
}

/** redis-benchmark GET against the stack's Redis with `clients` connections and `valueSize`-byte values. */
export async function redisBenchmarkGet(
  res: Resources,
  redisUrl: string,
  opts: { clients: number; requests: number; valueSize: number; timeoutMs: number },
): Promise<RedisBenchmarkResult> {
  const u = new URL(redisUrl);
  const args = [
    '-h',
    u.hostname,
    '-p',
    u.port || '6379',
    '-t',
    'get',
    '-n',
    String(opts.requests),
    '-c',
    String(opts.clients),
    '-d',
    String(opts.valueSize),
    '--csv',
  ];
  if (u.password) args.push('-a', decodeURIComponent(u.password));
  const { stdout } = await res.exec('/usr/bin/redis-benchmark', args, opts.timeoutMs);
  const get = parseRedisBenchmarkCsv(stdout).find((r) => r.test === 'GET');
  if (!get) throw new Error(`redis-benchmark printed no GET result: ${stdout.trim()}`);
  return get;
}

/** A ceiling row from ProducerPerformance (records are events). */
export function producerPerformanceRow(p: ProducerPerformanceResult, recordSize: number): ResultRow {
  return {
    label: 'Kafka ProducerPerformance',
    ceiling: true,
    throughput: { value: p.recordsPerSec, unit: 'events/s' },
    latencyMs: { p50: p.p50Ms, p99: p.p99Ms, max: p.maxMs },
    errors: 0,
    extra: { records: p.records, 'record bytes': recordSize },
  };
}
