/**
 * Jest global setup for the integration and end-to-end tiers: reuse the stack that
 * runs in FLOODGATE_STATE_DIR (as `make test` starts it), or start one for this run
 * (stopped again by the global teardown). Either way the tests see its variables
 * (KAFKA_BROKERS, DATABASE_URL, DATABASE_READ_URL, REDIS_URL, ...).
 */
import path from 'node:path';
import { defaultServers, readStack, stackEnv, up } from './stack';
import { repoRoot } from './paths';

export default async function globalSetup(): Promise<void> {
  const dir = process.env.FLOODGATE_STATE_DIR ?? path.join(repoRoot(), '.floodgate', 'jest-stack');
  const extra = (process.env.FLOODGATE_TEST_SERVERS ?? '').split(',').filter(Boolean);
  const wanted = [...new Set([...defaultServers, ...extra])];
  // The integration and e2e projects both run this setup in one process: the stack is
  // "owned" (stopped at teardown) if any of them started it.
  const previous = (globalThis as { __floodgateStack?: { dir: string; owned: boolean } }).__floodgateStack;
  const owned = previous?.owned === true || !readStack(dir);
  const stack = await up({ dir, servers: wanted, log: (l) => process.stderr.write(`[stack] ${l}\n`) });
  Object.assign(process.env, stackEnv(stack));
  (globalThis as { __floodgateStack?: { dir: string; owned: boolean } }).__floodgateStack = { dir, owned };
}
