/**
 * Latency of the worker's database transaction (ReadingWriter.write: COPY of the readings, device upsert, alert rules)
 * for small batches, the size a steady stream brings (35 events by default), on a fresh database of the local stack.
 * For comparing two versions of the worker's SQL: run it on each, one after the other, a few times.
 *
 *   make up && eval "$(make -s env)"
 *   npx tsx bench/tools/worker-transaction-latency.ts [events per transaction] [transactions]
 *
 * Each transaction's events go to devices of their own (10,000 in turn) with a metric the seeded rainfall rule
 * watches, so the alert query runs as in production. The first fifth is warm-up and not counted. Besides the
 * latency it prints the CPU per event of this process (the worker's own share of a transaction) and, when the server
 * runs on this host, of the PostgreSQL backend that served the transactions (from /proc, its one connection).
 */
import pg from 'pg';
import { AlertRuleSource } from '../../services/worker/src/alert-store';
import { ReadingWriter, type IncomingEvent } from '../../services/worker/src/reading-writer';
import { latencySummary } from '../harness/load';
import { withResources } from '../harness/resources';
import type { StackEnvironment } from '../harness/scenario';
import { createDatabase, runId } from '../harness/services';
import { readProcessCpuSeconds } from '../scenarios/support/proc';

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 35);
  const transactions = Number(process.argv[3] ?? 1500);
  if (!process.env.DATABASE_URL || !process.env.FLOODGATE_PG_SUPERUSER_URL) throw new Error('no stack: run make up, then eval "$(make -s env)"');
  await withResources(console.error, async (res) => {
    const url = await createDatabase(res, process.env as StackEnvironment, `tx_latency_${runId()}`);
    // One connection: the writer and the rule source take turns, so one backend does all the work and can be measured.
    const pool = new pg.Pool({ connectionString: url, max: 1 });
    res.defer(() => pool.end());
    const rules = new AlertRuleSource(pool, 10_000);
    const writer = new ReadingWriter(pool, () => rules.current());
    let n = 0;
    const latencies: number[] = [];
    let cpu: NodeJS.CpuUsage | undefined;
    let backendStart: number | undefined;
    const backendPid = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    for (let i = 0; i < transactions; i++) {
      if (i === Math.ceil(transactions / 5)) {
        cpu = process.cpuUsage();
        backendStart = backendCpuMicros(backendPid);
      }
      const events: IncomingEvent[] = Array.from({ length: size }, (_, k) => ({
        event: {
          eventId: `0193b000-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`,
          deviceId: `device-${(i * size + k) % 10_000}`,
          ts: new Date().toISOString(),
          metrics: { rain_mm_h: 1 },
        },
        ingestTimeMs: Date.now(),
      }));
      const started = performance.now();
      await writer.write(events);
      if (i >= transactions / 5) latencies.push(performance.now() - started);
    }
    const { p50, p99 } = latencySummary(latencies);
    const used = process.cpuUsage(cpu);
    const events = latencies.length * size;
    const cpuPerEvent = (used.user + used.system) / events;
    const backendEnd = backendCpuMicros(backendPid);
    const backend =
      backendStart === undefined || backendEnd === undefined
        ? 'the PostgreSQL backend is not on this host (its CPU is not measured)'
        : `the PostgreSQL backend's CPU ${((backendEnd - backendStart) / events).toFixed(1)} µs an event`;
    console.log(
      `${size} events a transaction, ${latencies.length} transactions: p50 ${p50} ms, p99 ${p99} ms; this process's CPU ${cpuPerEvent.toFixed(1)} µs an event (building the events included); ${backend}`,
    );
  });
}

/** A local process's CPU time (user + system) in µs from /proc, or undefined when it is not on this host. */
function backendCpuMicros(pid: number): number | undefined {
  try {
    return readProcessCpuSeconds(pid) * 1e6;
  } catch {
    return undefined;
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
