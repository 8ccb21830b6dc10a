/** The API process: configuration → clients → app → listen; SIGTERM/SIGINT drain and exit within a bound. */
import { ConfigError, createLogger } from '@floodgate/config';
import { startApi } from './api-runtime';
import { loadApiConfig } from './config';

async function main(): Promise<void> {
  const logger = createLogger('floodgate-api');
  let cfg;
  try {
    cfg = loadApiConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const api = await startApi(cfg, createLogger('floodgate-api', cfg.LOG_LEVEL));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      // A second signal, or a hang past the bound, ends the process regardless.
      setTimeout(() => process.exit(1), cfg.SHUTDOWN_TIMEOUT_MS + 2000).unref();
      void api.shutdown(signal).then(() => process.exit(0));
    });
  }
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

main().catch((err) => {
  process.stderr.write(`floodgate-api failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
