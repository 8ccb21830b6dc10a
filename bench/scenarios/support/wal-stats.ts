/**
 * How much WAL the primary wrote between two positions, and how much of it was full-page images (the copy of a whole
 * page PostgreSQL writes the first time a page changes after a checkpoint). Read with `pg_waldump --stats`, which
 * decodes the WAL itself, so the figures are exact (pg_stat_wal is flushed by each backend only now and then).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { StackEnvironment } from '../../harness/scenario';

export interface WalStats {
  records: number;
  /** Bytes of the records without their page images. */
  recordBytes: number;
  /** Bytes of full-page images (after compression, when wal_compression is on). */
  fullPageBytes: number;
}

/** The `Total` line of `pg_waldump --stats`: `Total  N  recordBytes [x%]  fpiBytes [y%]  combined [100%]`. */
export function parseWaldumpStats(output: string): WalStats {
  const line = output.split('\n').find((l) => /^Total\s/.test(l));
  const m = line && /^Total\s+(\d+)\s+(\d+)\s+\[[\d.]+%\]\s+(\d+)\s+\[[\d.]+%\]/.exec(line);
  if (!m) throw new Error(`no Total line in pg_waldump --stats output: ${JSON.stringify(output.slice(-300))}`);
  return { records: Number(m[1]), recordBytes: Number(m[2]), fullPageBytes: Number(m[3]) };
}

/** Where the primary's WAL is read from: its position when the level started, its folder, and pg_waldump's. */
export interface WalStart {
  lsn: string;
  walDir: string;
  /** The stack's PostgreSQL binaries (FLOODGATE_PG_BIN). */
  bindir: string;
}

/** The primary's WAL flushed so far (so pg_waldump can read up to it); needs the stack's superuser URL. */
async function flushedWal(superuserUrl: string): Promise<{ lsn: string; dir: string }> {
  const c = new pg.Client({ connectionString: superuserUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ lsn: string; dir: string }>("SELECT pg_current_wal_flush_lsn()::text AS lsn, current_setting('data_directory') AS dir");
    return rows[0]!;
  } finally {
    await c.end();
  }
}

function stackSettings(stack: StackEnvironment): { url: string; bindir: string } {
  const url = stack.FLOODGATE_PG_SUPERUSER_URL;
  const bindir = stack.FLOODGATE_PG_BIN;
  if (!url || !bindir) throw new Error('the stack has no FLOODGATE_PG_SUPERUSER_URL or FLOODGATE_PG_BIN (is PostgreSQL one of its servers?)');
  return { url, bindir };
}

/** Marks the start of a measurement: the primary's WAL position now. */
export async function walPosition(stack: StackEnvironment): Promise<WalStart> {
  const { url, bindir } = stackSettings(stack);
  const { lsn, dir } = await flushedWal(url);
  return { lsn, walDir: path.join(dir, 'pg_wal'), bindir };
}

/**
 * The WAL between `from` and the primary's position now. Call it before the next checkpoint: a checkpoint may recycle
 * the segments that hold `from`.
 */
export async function walSince(stack: StackEnvironment, from: WalStart): Promise<WalStats> {
  const { lsn } = await flushedWal(stackSettings(stack).url);
  if (lsn === from.lsn) return { records: 0, recordBytes: 0, fullPageBytes: 0 };
  const { stdout } = await promisify(execFile)(path.join(from.bindir, 'pg_waldump'), ['--stats', '-p', from.walDir, '-s', from.lsn, '-e', lsn], {
    maxBuffer: 1 << 20,
  });
  return parseWaldumpStats(stdout);
}
