import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  down,
  leftoverProcesses,
  readStack,
  restart,
  StackError,
  startPostgresMember,
  status,
  stopPostgresMember,
  up,
  updateServer,
  type PostgresState,
} from '../../src';

// Each test uses a stack folder of its own, apart from the shared stack the other tests use.
// (Readable by others: PostgreSQL runs as the postgres user when the tests run as root.)
const made: string[] = [];
const tmpDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-stack-test-'));
  fs.chmodSync(dir, 0o755);
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('the local stack', () => {
  it('leaves no process behind after down, and status says so', async () => {
    const dir = tmpDir();
    await up({ dir, servers: ['redis', 'postgres'] });
    expect(leftoverProcesses(dir).length).toBeGreaterThanOrEqual(3); // redis, primary, replica (+ postgres children)
    expect((await status({ dir })).map((s) => [s.name, s.running])).toEqual([
      ['redis', true],
      ['postgres', true],
    ]);
    await down({ dir });
    expect(leftoverProcesses(dir)).toEqual([]);
    expect(readStack(dir)).toBeUndefined();
    expect(await status({ dir })).toEqual([]);
  });

  it('starts a server once when two callers bring it up at the same time, as parallel test files do', async () => {
    const dir = tmpDir();
    try {
      const [a, b] = await Promise.all([up({ dir, servers: ['redis'] }), up({ dir, servers: ['redis'] })]);
      expect(b.servers.redis).toEqual(a.servers.redis);
      expect(readStack(dir)!.servers.redis).toEqual(a.servers.redis);
      expect(leftoverProcesses(dir).filter((p) => p.cmdline.includes('redis-server'))).toHaveLength(1);
    } finally {
      await down({ dir });
    }
    expect(leftoverProcesses(dir)).toEqual([]);
    expect(fs.readdirSync(dir)).not.toContain('up.lock');
  });

  it('restarts a server on the same port with its data kept', async () => {
    const dir = tmpDir();
    try {
      const stack = await up({ dir, servers: ['postgres'] });
      const before = stack.servers.postgres as unknown as { primaryPort: number; pids: number[] };
      await restart('postgres', { dir });
      const after = readStack(dir)!.servers.postgres as unknown as { primaryPort: number; pids: number[] };
      expect(after.primaryPort).toBe(before.primaryPort);
      expect(after.pids).not.toEqual(before.pids);
      expect((await status({ dir }))[0]!.summary).toMatch(/streaming/);
    } finally {
      await down({ dir });
    }
  });

  it('stops and restarts only the PostgreSQL primary, and the replica streams again', async () => {
    const dir = tmpDir();
    try {
      await up({ dir, servers: ['postgres'] });
      const before = readStack(dir)!.servers.postgres as PostgresState;
      await updateServer<PostgresState>('postgres', async (s) => (await stopPostgresMember(s, 'primary'), s), { dir });
      expect(leftoverProcesses(dir).some((p) => p.pid === before.pids[1])).toBe(true); // the replica runs on
      expect((await status({ dir }))[0]!.running).toBe(false);
      const after = await updateServer<PostgresState>('postgres', (s) => startPostgresMember(s, 'primary'), { dir });
      expect(after.pids[1]).toBe(before.pids[1]);
      for (let i = 0; i < 150 && !/\(streaming; primary sees 1 standby\)/.test((await status({ dir }))[0]!.summary); i++)
        await new Promise((r) => setTimeout(r, 200));
      expect((await status({ dir }))[0]!.summary).toMatch(/\(streaming; primary sees 1 standby\)/);
    } finally {
      await down({ dir });
    }
  });

  it('names the port and the fix when a requested port is in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    process.env.FLOODGATE_REDIS_PORT = String(port);
    const dir = tmpDir();
    try {
      const err = await up({ dir, servers: ['redis'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StackError);
      expect((err as StackError).message).toContain(`127.0.0.1:${port} is already in use`);
      expect((err as StackError).fix).toMatch(/FLOODGATE_REDIS_PORT|unset the variable/);
      expect(leftoverProcesses(dir)).toEqual([]);
    } finally {
      delete process.env.FLOODGATE_REDIS_PORT;
      blocker.close();
    }
  });

  it('names the missing tool and how to install it (no Java on PATH)', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    const dir = tmpDir();
    try {
      const err = await up({ dir, servers: ['kafka'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StackError);
      expect((err as StackError).message).toBe('java was not found');
      expect((err as StackError).fix).toMatch(/apt-get install -y openjdk-17/);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it('clears stale state from a run whose processes are gone, and starts afresh', async () => {
    const dir = tmpDir();
    const logs: string[] = [];
    try {
      await up({ dir, servers: ['redis'] });
      const stale = readStack(dir)!;
      process.kill(stale.servers.redis!.pids[0]!, 'SIGKILL'); // as after a crash or a reboot
      await new Promise((r) => setTimeout(r, 200));
      const fresh = await up({ dir, servers: ['redis'], log: (l) => logs.push(l) });
      expect(logs.join('\n')).toMatch(/redis: stale state from an earlier run/);
      expect(fresh.servers.redis!.pids[0]).not.toBe(stale.servers.redis!.pids[0]);
      expect((await status({ dir }))[0]!.running).toBe(true);
    } finally {
      await down({ dir });
    }
  });

  it('says which folder the postgres user cannot enter (running as root)', async () => {
    if (process.getuid?.() !== 0) return; // the check only applies when PostgreSQL must drop to the postgres user
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-stack-test-')); // mode 700
    made.push(dir);
    const err = await up({ dir, servers: ['postgres'] }).catch((e: unknown) => e);
    expect((err as StackError).message).toMatch(new RegExp(`cannot enter ${dir}`));
    expect((err as StackError).fix).toMatch(/chmod o\+x/);
  });

  it('rejects an unknown server name with the list of known ones', async () => {
    await expect(up({ dir: tmpDir(), servers: ['mongodb'] })).rejects.toMatchObject({ fix: expect.stringContaining('kafka') });
  });
});
