/**
 * Test-only preload for an API started as a child process with an IPC channel (see api-process.ts):
 * on {type: 'heap'} it forces a garbage collection (the child runs with --expose-gc) and answers with
 * process.memoryUsage(), so a test can compare the live heap before and after a load without the noise
 * of garbage not yet collected. Nothing of the service imports this file.
 */
if (process.send) {
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'heap') return;
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    process.send!({ type: 'heap', gcForced: gc !== undefined, ...process.memoryUsage() });
  });
  // The channel must not keep the process alive: SIGTERM and exit work as without it.
  process.channel?.unref();
}
