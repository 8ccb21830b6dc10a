/**
 * A cross-process reader-writer lock for the API's integration tests, which Jest runs in parallel
 * workers against one stack. Tests that stop Kafka or Redis take it exclusively; the others take it
 * shared, so an outage never lands in the middle of a test that expects a healthy stack. Files live in
 * the stack's state directory; an entry whose process is gone is ignored.
 */
import fs from 'node:fs';
import path from 'node:path';

const root = () => path.join(process.env.FLOODGATE_STATE_DIR ?? path.join(__dirname, '../../../../.floodgate/jest-stack'), 'locks', 'api-test-disruption');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(entry: string): boolean {
  const pid = Number(entry.split('-')[1]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withMutex<T>(fn: () => T): Promise<T> {
  const mutex = path.join(root(), 'mutex');
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(mutex);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A holder that died inside the few lines below leaves the mutex behind; it is old then.
      if (i > 100 && Date.now() - fs.statSync(mutex).mtimeMs > 10_000) fs.rmSync(mutex, { recursive: true, force: true });
      await sleep(20);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(mutex, { recursive: true, force: true });
  }
}

export type Release = () => void;

/** Waits until the lock is free of (exclusive) or any (shared) holders, then holds it; returns the release. */
export async function acquire(mode: 'shared' | 'exclusive', timeoutMs = 300_000): Promise<Release> {
  fs.mkdirSync(root(), { recursive: true });
  const name = `${mode}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await withMutex(() => {
      const holders = fs.readdirSync(root()).filter((e) => e !== 'mutex' && alive(e));
      const free = mode === 'shared' ? !holders.some((h) => h.startsWith('exclusive-')) : holders.length === 0;
      if (free) fs.writeFileSync(path.join(root(), name), '');
      return free;
    });
    if (got) return () => fs.rmSync(path.join(root(), name), { force: true });
    if (Date.now() > until) throw new Error(`the ${mode} stack-disruption lock in ${root()} was not free within ${timeoutMs} ms`);
    await sleep(200);
  }
}
