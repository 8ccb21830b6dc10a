/**
 * PostgreSQL from Debian's packages: a primary and a streaming read replica
 * (pg_basebackup -R with a physical slot) in the stack's own data folders, never
 * the system cluster. When run as root, the servers run as the `postgres` user.
 */
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { isRunning, run, startDaemon, stopDaemon, waitFor } from '../daemon';
import { portFromEnv } from '../free-port';
import type { ServerContext, ServerModule, ServerState } from '../server';
import { StackError } from '../stack-error';

export interface PostgresState extends ServerState {
  version: string;
  primaryPort: number;
  replicaPort: number;
  database: string;
  user: string;
  password: string;
  superPassword: string;
  replicationPassword: string;
}

const INSTALL_FIX = 'install PostgreSQL: apt-get install -y postgresql-15 (or run scripts/bootstrap.sh)';

export function postgresBinDir(): { bin: string; version: string } {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const version = process.env.FLOODGATE_PG_VERSION ?? versions[0];
  if (!version || !fs.existsSync(path.join(base, version, 'bin', 'postgres'))) {
    throw new StackError(`PostgreSQL server binaries were not found under ${base}`, INSTALL_FIX);
  }
  return { bin: path.join(base, version, 'bin'), version };
}

/** PostgreSQL refuses to run as root; then we run it as the `postgres` system user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new StackError(
      'running as root, and there is no `postgres` user to run PostgreSQL as',
      'install postgresql-15 (it creates the user), or run as a normal user',
    );
  }
}

/** The postgres user must be able to reach its data folder through every parent folder. */
function assertReachable(dir: string, user: { uid: number; gid: number } | undefined): void {
  if (!user) return;
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const st = fs.statSync(d, { throwIfNoEntry: false });
    if (st && st.uid !== user.uid && (st.mode & 0o001) === 0) {
      throw new StackError(
        `PostgreSQL runs as the postgres user, which cannot enter ${d} (mode ${(st.mode & 0o777).toString(8)})`,
        `chmod o+x ${d}, or choose a state folder elsewhere (FLOODGATE_STATE_DIR)`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

function chownTree(dir: string, user: { uid: number; gid: number } | undefined): void {
  if (!user) return;
  fs.chownSync(dir, user.uid, user.gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(p, user);
    else fs.chownSync(p, user.uid, user.gid);
  }
}

export function postgresUrl(s: PostgresState, which: 'primary' | 'replica', as: 'app' | 'super' = 'app'): string {
  const port = which === 'primary' ? s.primaryPort : s.replicaPort;
  const [user, password] = as === 'app' ? [s.user, s.password] : ['postgres', s.superPassword];
  return `postgres://${user}:${password}@127.0.0.1:${port}/${s.database}`;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function startServer(bin: string, dataDir: string, logFile: string, user: { uid: number; gid: number } | undefined): number {
  return startDaemon(path.join(bin, 'postgres'), ['-D', dataDir], { logFile, cwd: dataDir, user });
}

export const postgresServer: ServerModule<PostgresState> = {
  name: 'postgres',

  async start(ctx: ServerContext, previous?: PostgresState): Promise<PostgresState> {
    const { bin, version } = postgresBinDir();
    const user = serverUser();
    const primaryDir = path.join(ctx.dir, 'primary');
    const replicaDir = path.join(ctx.dir, 'replica');
    const runDir = path.join(ctx.dir, 'run');
    const logs = [path.join(ctx.dir, 'primary.log'), path.join(ctx.dir, 'replica.log')];
    let state: PostgresState;
    if (ctx.keepData && previous) {
      state = { ...previous, pids: [] };
    } else {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      fs.mkdirSync(runDir, { recursive: true });
      assertReachable(ctx.dir, user);
      fs.chmodSync(ctx.dir, 0o755);
      state = {
        version,
        dir: ctx.dir,
        pids: [],
        logFiles: logs,
        primaryPort: await portFromEnv('FLOODGATE_PG_PORT', 'PostgreSQL primary'),
        replicaPort: await portFromEnv('FLOODGATE_PG_REPLICA_PORT', 'PostgreSQL replica'),
        database: 'floodgate',
        user: 'floodgate',
        password: crypto.randomBytes(12).toString('hex'),
        superPassword: crypto.randomBytes(12).toString('hex'),
        replicationPassword: crypto.randomBytes(12).toString('hex'),
      };
      const pwFile = path.join(ctx.dir, 'superuser.pw');
      fs.writeFileSync(pwFile, `${state.superPassword}\n`, { mode: 0o600 });
      chownTree(ctx.dir, user);
      await run(
        path.join(bin, 'initdb'),
        ['-D', primaryDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--no-locale', '--no-instructions'],
        {
          user,
          what: 'initialising the PostgreSQL primary',
          fix: `remove ${ctx.dir} and retry; check that the postgres user can write there`,
        },
      );
      fs.rmSync(pwFile);
      fs.appendFileSync(
        path.join(primaryDir, 'postgresql.conf'),
        `\n# @floodgate/devstack
listen_addresses = '127.0.0.1'
port = ${state.primaryPort}
unix_socket_directories = '${runDir}'
wal_level = replica
max_wal_senders = 5
max_replication_slots = 5
hot_standby = on
max_connections = 200
shared_buffers = 256MB
# as in the chart's clusters: page images compressed, a fifth less WAL at the same CPU (docs/benchmarks.md)
wal_compression = lz4
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
`,
      );
      fs.writeFileSync(
        path.join(primaryDir, 'pg_hba.conf'),
        `# @floodgate/devstack: loopback only, passwords always
local all postgres scram-sha-256
host all all 127.0.0.1/32 scram-sha-256
host replication replicator 127.0.0.1/32 scram-sha-256
`,
      );
    }

    const primaryPid = startServer(bin, primaryDir, logs[0]!, user);
    state.pids = [primaryPid];
    const superPrimary = postgresUrl(state, 'primary', 'super').replace(`/${state.database}`, '/postgres');
    await waitFor('PostgreSQL primary', () => query(superPrimary, 'select 1'), { timeoutMs: 60000, pid: primaryPid, logFile: logs[0] });

    if (!(ctx.keepData && previous)) {
      await query(superPrimary, `create role replicator with replication login password '${state.replicationPassword}'`);
      await query(superPrimary, `create role ${state.user} with login password '${state.password}'`);
      await query(superPrimary, `create database ${state.database} owner ${state.user}`);
      await run(
        path.join(bin, 'pg_basebackup'),
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(state.primaryPort),
          '-U',
          'replicator',
          '-D',
          replicaDir,
          '-R',
          '-X',
          'stream',
          '-C',
          '-S',
          'floodgate_replica',
          '--checkpoint=fast',
          '--no-password',
        ],
        {
          user,
          env: { ...process.env, PGPASSWORD: state.replicationPassword },
          what: 'cloning the read replica (pg_basebackup)',
          fix: `read ${logs[0]}`,
        },
      );
      fs.appendFileSync(path.join(replicaDir, 'postgresql.auto.conf'), `port = ${state.replicaPort}\n`);
    }
    const replicaPid = startServer(bin, replicaDir, logs[1]!, user);
    state.pids.push(replicaPid);
    const superReplica = postgresUrl(state, 'replica', 'super').replace(`/${state.database}`, '/postgres');
    await waitFor(
      'PostgreSQL replica streaming',
      async () => {
        const rows = await query<{ status: string }>(superReplica, 'select status from pg_stat_wal_receiver');
        if (rows[0]?.status !== 'streaming') throw new Error(`wal receiver status: ${rows[0]?.status ?? 'none'}`);
      },
      { timeoutMs: 60000, pid: replicaPid, logFile: logs[1] },
    );
    return state;
  },

  async stop(state: PostgresState): Promise<void> {
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    for (const pid of [...state.pids].reverse()) await stopDaemon(pid, 'SIGINT', 20000);
  },

  async check(state: PostgresState): Promise<string> {
    const primary = await query<{ state: string; replay_lag: string | null }>(
      postgresUrl(state, 'primary', 'super'),
      'select state, replay_lag::text from pg_stat_replication',
    );
    const receiver = await query<{ status: string }>(postgresUrl(state, 'replica', 'super'), 'select status from pg_stat_wal_receiver');
    return `PostgreSQL ${state.version} primary 127.0.0.1:${state.primaryPort}, replica 127.0.0.1:${state.replicaPort} (${receiver[0]?.status ?? 'not streaming'}; primary sees ${primary.length} standby)`;
  },

  env(state: PostgresState): Record<string, string> {
    return {
      DATABASE_URL: postgresUrl(state, 'primary'),
      DATABASE_READ_URL: postgresUrl(state, 'replica'),
      FLOODGATE_PG_SUPERUSER_URL: postgresUrl(state, 'primary', 'super'),
      FLOODGATE_PG_BIN: postgresBinDir().bin,
    };
  },
};

/**
 * Stops one member (the primary or the replica) with a fast shutdown, for fault tests:
 * the other keeps running. pids[0] is the primary, pids[1] the replica.
 */
export async function stopPostgresMember(state: PostgresState, member: 'primary' | 'replica'): Promise<void> {
  await stopDaemon(state.pids[member === 'primary' ? 0 : 1], 'SIGINT', 20000);
}

/** Starts a stopped member again on its port with its data, and waits until it answers. */
export async function startPostgresMember(state: PostgresState, member: 'primary' | 'replica'): Promise<PostgresState> {
  const i = member === 'primary' ? 0 : 1;
  if (isRunning(state.pids[i])) return state;
  const { bin } = postgresBinDir();
  const pid = startServer(bin, path.join(state.dir, member), state.logFiles[i]!, serverUser());
  const url = postgresUrl(state, member, 'super').replace(`/${state.database}`, '/postgres');
  await waitFor(`PostgreSQL ${member}`, () => query(url, 'select 1'), { timeoutMs: 60000, pid, logFile: state.logFiles[i] });
  const pids = [...state.pids];
  pids[i] = pid;
  return { ...state, pids };
}
