/**
 * What the machine does, every 100 ms, while a benchmark runs on the local stack: CPU (percent of one core) per part of
 * the stack, the broker's busiest threads by name when it uses more than 40 % of a core, the PostgreSQL primary's WAL
 * rate, and what autovacuum and the checkpointer are doing. One line per sample, wall time first, so a latency
 * window in a benchmark's series can be matched with what ran then. In e2e-latency's tail windows it found the
 * young broker's JIT compiler threads, autovacuum and a checkpoint's full-page images, each taking much of a core
 * for a second or more (docs/benchmarks.md, "The tail windows of e2e-latency").
 *
 *   make bench SCENARIOS=e2e-latency &    # or any load on the local stack
 *   eval "$(FLOODGATE_STATE_DIR=.floodgate/bench-stack make -s env)"   # once the stack is up
 *   npx tsx bench/tools/stack-cpu-sampler.ts [interval ms, default 100] > samples.txt
 *
 * It needs FLOODGATE_PG_SUPERUSER_URL (pg_stat_activity and the WAL position) and runs on the stack's host (/proc).
 * It stops when PostgreSQL goes away or on Ctrl-C.
 */
import fs from 'node:fs';
import pg from 'pg';
import { percentOfCore, processGroup, processGroups, threadGroup } from '../scenarios/support/cpu-groups';
import { parseProcessCpuSeconds } from '../scenarios/support/proc';

const pids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));

/** A process's group from its command line, or undefined when it exited before it was read. */
function groupOfPid(pid: string): string | undefined {
  try {
    return processGroup(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds summed by group over the entries of a /proc folder (processes in /proc, threads in /proc/<pid>/task),
 * each grouped by `groupOf`; an entry that ends while it is read is skipped.
 */
function cpuByGroup(dir: string, ids: string[], groupOf: (id: string) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of ids) {
    try {
      const group = groupOf(id);
      if (group !== undefined) out.set(group, (out.get(group) ?? 0) + parseProcessCpuSeconds(fs.readFileSync(`${dir}/${id}/stat`, 'utf8')));
    } catch {
      // ended between readdir and read
    }
  }
  return out;
}

const processCpu = () => cpuByGroup('/proc', pids(), groupOfPid);

const threadCpu = (pid: string | undefined) =>
  pid
    ? cpuByGroup(`/proc/${pid}/task`, fs.readdirSync(`/proc/${pid}/task`), (tid) => threadGroup(fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8')))
    : new Map<string, number>();

async function main(): Promise<void> {
  const intervalMs = Number(process.argv[2] ?? 100);
  if (!(intervalMs >= 20)) throw new Error(`the interval must be at least 20 ms (got ${process.argv[2]})`);
  const url = process.env.FLOODGATE_PG_SUPERUSER_URL;
  if (!url) throw new Error('FLOODGATE_PG_SUPERUSER_URL is not set: eval "$(make -s env)" with the stack\'s FLOODGATE_STATE_DIR first');
  const brokerPid = pids().find((pid) => groupOfPid(pid) === 'kafka');
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  const walBytes = async () => BigInt((await db.query<{ b: string }>("SELECT pg_current_wal_lsn() - '0/0' AS b")).rows[0]!.b);
  const order = [...processGroups.map(([g]) => g), 'other'];
  let prev = { at: performance.now(), procs: processCpu(), threads: threadCpu(brokerPid), wal: await walBytes() };
  for (;;) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const now = { at: performance.now(), procs: processCpu(), threads: threadCpu(brokerPid), wal: await walBytes() };
    const seconds = (now.at - prev.at) / 1000;
    const cpu = percentOfCore(prev.procs, now.procs, seconds);
    const threads = percentOfCore(prev.threads, now.threads, seconds);
    const walMBs = Number(now.wal - prev.wal) / 1e6 / seconds;
    prev = now;
    const busiest =
      (cpu.get('kafka') ?? 0) > 40
        ? ` kafka-threads[${[...threads]
            .filter(([, p]) => p > 0)
            .sort((a, b) => b[1] - a[1])
            .slice(0, 4)
            .map(([t, p]) => `${t}=${p}`)
            .join(',')}]`
        : '';
    const { rows } = await db.query<{ backend_type: string; wait_event: string | null; query: string }>(
      "SELECT backend_type, wait_event, left(query, 60) AS query FROM pg_stat_activity WHERE (backend_type = 'autovacuum worker' AND query <> '') OR (backend_type = 'checkpointer' AND wait_event IS DISTINCT FROM 'CheckpointerMain')",
    );
    const background = rows
      .map((r) => (r.backend_type === 'checkpointer' ? ` checkpoint:${r.wait_event}` : ` ${r.query} (${r.wait_event ?? 'on CPU'})`))
      .join('');
    const groups = order.map((g) => `${g}=${cpu.get(g) ?? 0}`).join(' ');
    console.log(`${new Date().toISOString().slice(11, 23)} wal=${walMBs.toFixed(1)}MB/s ${groups}${busiest}${background}`);
  }
}

main().catch((err: Error) => {
  console.error(`stack-cpu-sampler: ${err.message}`);
  process.exit(1);
});
