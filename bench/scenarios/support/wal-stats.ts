/**
 * How much WAL the primary wrote between two positions, and how much of it was full-page images (the copy of a whole
 * page PostgreSQL writes the first time a page changes after a checkpoint). Read with `pg_waldump --stats`, which
 * decodes the WAL itself, so the figures are exact (pg_stat_wal is flushed by each backend only now and then).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';

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

/** The primary's WAL flushed so far (so pg_waldump can read up to it), and where its WAL lives (needs a superuser). */
export async function walPosition(superuserUrl: string | undefined): Promise<{ lsn: string; walDir: string; bindir: string }> {
  if (!superuserUrl) throw new Error('the stack has no superuser URL for the primary (FLOODGATE_PG_SUPERUSER_URL)');
  const c = new pg.Client({ connectionString: superuserUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ lsn: string; dir: string; version: string }>(
      "SELECT pg_current_wal_flush_lsn()::text AS lsn, current_setting('data_directory') AS dir, current_setting('server_version_num') AS version",
    );
    const r = rows[0]!;
    return { lsn: r.lsn, walDir: `${r.dir}/pg_wal`, bindir: `/usr/lib/postgresql/${Math.floor(Number(r.version) / 10_000)}/bin` };
  } finally {
    await c.end();
  }
}

/**
 * The WAL between `from` and the primary's position now. Call it before the next checkpoint: a checkpoint may recycle
 * the segments that hold `from`.
 */
export async function walSince(superuserUrl: string | undefined, from: { lsn: string; walDir: string; bindir: string }): Promise<WalStats> {
  const to = await walPosition(superuserUrl);
  if (to.lsn === from.lsn) return { records: 0, recordBytes: 0, fullPageBytes: 0 };
  const { stdout } = await promisify(execFile)(`${from.bindir}/pg_waldump`, ['--stats', '-p', from.walDir, '-s', from.lsn, '-e', to.lsn], {
    maxBuffer: 1 << 20,
  });
  return parseWaldumpStats(stdout);
}
