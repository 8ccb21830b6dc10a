/**
 * The ceiling of the cache-miss read scenario: the API's miss query (`SELECT <device state columns> FROM devices
 * WHERE device_id = $1`) on the read replica by a minimal pg script, with the same concurrency as the HTTP load and a
 * pool of the API's size. Runs as a child process (like the API) and sends its counts over IPC.
 * Env: DATABASE_READ_URL, CONCURRENCY, POOL_MAX, SECONDS, DEVICE_PREFIX, DEVICES.
 */
import pg from 'pg';
import { deviceStateColumns } from '@floodgate/cache';
import { latencySummary } from '../harness/load';

async function main(): Promise<void> {
  const concurrency = Number(process.env.CONCURRENCY);
  const seconds = Number(process.env.SECONDS);
  const devices = Number(process.env.DEVICES);
  const prefix = process.env.DEVICE_PREFIX!;
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_READ_URL, max: Number(process.env.POOL_MAX) });
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let found = 0;
  const until = performance.now() + seconds * 1000;
  const loop = async () => {
    while (performance.now() < until) {
      const id = `${prefix}${next++ % devices}`;
      const t0 = performance.now();
      try {
        const { rows } = await pool.query(`SELECT ${deviceStateColumns} FROM devices WHERE device_id = $1`, [id]);
        latencies.push(performance.now() - t0);
        if (rows.length === 1) found++;
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, loop));
  const elapsed = (performance.now() - started) / 1000;
  await pool.end();
  process.send!({ queries: latencies.length, found, errors, seconds: elapsed, latencyMs: latencySummary(latencies) });
}

main().catch((err: Error) => {
  process.stderr.write(`replica-select failed: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
