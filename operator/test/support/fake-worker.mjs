// A fake worker for the local pool's tests: records start and stop in a file, exits on SIGTERM
// (or ignores it when FAKE_WORKER_IGNORE_SIGTERM=1, to prove the SIGKILL fallback).
import fs from 'node:fs';
import { setInterval } from 'node:timers';

const file = process.env.FAKE_WORKER_LOG;
const note = (what) => fs.appendFileSync(file, `${what} slot=${process.env.LOCAL_POOL_SLOT} port=${process.env.HTTP_PORT ?? ''} pid=${process.pid}\n`);
note('started');
process.on('SIGTERM', () => {
  if (process.env.FAKE_WORKER_IGNORE_SIGTERM === '1') return note('ignored-sigterm');
  note('stopped');
  process.exit(0);
});
setInterval(() => undefined, 1000);
