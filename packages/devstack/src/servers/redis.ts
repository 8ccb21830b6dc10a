/** Redis from Debian's packages, as a cache: loopback only, no persistence. */
import fs from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { isRunning, requireCommand, startDaemon, stopDaemon, waitFor } from '../daemon';
import { portFromEnv } from '../free-port';
import type { ServerContext, ServerModule, ServerState } from '../server';

export interface RedisState extends ServerState {
  port: number;
  version: string;
}

async function ping(port: number): Promise<string> {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const info = await client.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    client.disconnect();
  }
}

export const redisServer: ServerModule<RedisState> = {
  name: 'redis',

  async start(ctx: ServerContext, previous?: RedisState): Promise<RedisState> {
    const bin = requireCommand('redis-server', 'install Redis: apt-get install -y redis-server (or run scripts/bootstrap.sh)');
    if (!ctx.keepData) fs.rmSync(ctx.dir, { recursive: true, force: true });
    fs.mkdirSync(ctx.dir, { recursive: true });
    const port = ctx.keepData && previous ? previous.port : await portFromEnv('FLOODGATE_REDIS_PORT', 'Redis');
    const logFile = path.join(ctx.dir, 'redis.log');
    const pid = startDaemon(
      bin,
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        ctx.dir,
        '--maxmemory',
        '512mb',
        '--maxmemory-policy',
        'allkeys-lru',
      ],
      {
        logFile,
        cwd: ctx.dir,
      },
    );
    const version = await waitFor('Redis', () => ping(port), { timeoutMs: 20000, pid, logFile });
    return { pids: [pid], dir: ctx.dir, logFiles: [logFile], port, version };
  },

  async stop(state: RedisState): Promise<void> {
    for (const pid of state.pids) await stopDaemon(pid, 'SIGTERM', 10000);
  },

  async check(state: RedisState): Promise<string> {
    if (!state.pids.some(isRunning)) throw new Error('not running');
    return `Redis ${await ping(state.port)} 127.0.0.1:${state.port}`;
  },

  env(state: RedisState): Record<string, string> {
    return { REDIS_URL: `redis://127.0.0.1:${state.port}` };
  },
};
