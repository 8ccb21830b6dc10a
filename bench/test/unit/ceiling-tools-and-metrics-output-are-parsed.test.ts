import { parseProducerPerformance, parseRedisBenchmarkCsv } from '../../harness/ceilings';
import { latencySummary, percentile } from '../../harness/load';
import { counterValue } from '../../harness/metrics-text';

describe("the ceiling tools' output", () => {
  it("reads ProducerPerformance's final summary line among its log lines", () => {
    const stdout = [
      '[main] INFO org.apache.kafka.clients.producer.KafkaProducer - [Producer clientId=perf-producer-client] Instantiated an idempotent producer.',
      '149861 records sent, 29972.2 records/sec (4.83 MB/sec), 640.1 ms avg latency, 1012.0 ms max latency.',
      '150000 records sent, 52724.1 records/sec (8.50 MB/sec), 951.31 ms avg latency, 1120.00 ms max latency, 951 ms 50th, 1050 ms 95th, 1088 ms 99th, 1110 ms 99.9th.',
      '[main] INFO org.apache.kafka.common.utils.AppInfoParser - App info kafka.producer for perf-producer-client unregistered',
    ].join('\n');
    expect(parseProducerPerformance(stdout)).toEqual({
      records: 150000,
      recordsPerSec: 52724,
      avgMs: 951.31,
      maxMs: 1120,
      p50Ms: 951,
      p99Ms: 1088,
      line: '150000 records sent, 52724.1 records/sec (8.50 MB/sec), 951.31 ms avg latency, 1120.00 ms max latency, 951 ms 50th, 1050 ms 95th, 1088 ms 99th, 1110 ms 99.9th.',
    });
  });

  it('fails clearly when ProducerPerformance printed no summary', () => {
    expect(() => parseProducerPerformance('Exception in thread "main" org.apache.kafka.common.errors.TimeoutException\n')).toThrow(
      /no ProducerPerformance summary in its output: Exception in thread "main"/,
    );
  });

  it('reads the GET row of redis-benchmark --csv by column name', () => {
    const csv = [
      '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"',
      '"GET","63291.14","0.688","0.048","0.327","3.031","5.519","9.295"',
    ].join('\n');
    expect(parseRedisBenchmarkCsv(csv)).toEqual([{ test: 'GET', rps: 63291.14, p50Ms: 0.327, p99Ms: 5.519, maxMs: 9.295 }]);
    expect(() => parseRedisBenchmarkCsv('"test","rps"\n"GET","1"')).toThrow('redis-benchmark CSV has no "p50_latency_ms" column');
  });
});

describe('the API metrics text', () => {
  const text = [
    '# HELP floodgate_cache_requests_total Device reads by cache result',
    '# TYPE floodgate_cache_requests_total counter',
    'floodgate_cache_requests_total{result="hit"} 1200',
    'floodgate_cache_requests_total{result="miss"} 34',
    'floodgate_cache_requests_total_other{result="hit"} 99',
    'floodgate_cache_requests_total{xresult="hit"} 7',
  ].join('\n');

  it('sums the samples of exactly the named counter whose labels match', () => {
    expect(counterValue(text, 'floodgate_cache_requests_total', { result: 'hit' })).toBe(1200);
    expect(counterValue(text, 'floodgate_cache_requests_total', { result: 'miss' })).toBe(34);
    expect(counterValue(text, 'floodgate_cache_requests_total')).toBe(1241);
    expect(counterValue(text, 'floodgate_absent_total')).toBe(0);
  });
});

describe('latency percentiles of own samples', () => {
  it('uses the nearest rank and rounds to 0.1 ms', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i + 0.04);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
    expect(latencySummary(samples)).toEqual({ p50: 50, p90: 90, p99: 99, max: 100 });
  });
});
