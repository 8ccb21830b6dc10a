/** The worker image's entrypoint: `consume` (default), `migrate` (the Helm hook Job), or `notify` (webhook notifier). */
import { ConfigError, createLogger, parseEnv, loggingSettings } from '@floodgate/config';
import { migrate } from '@floodgate/db';
import { z } from 'zod';
import { loadNotifierConfig, loadWorkerConfig } from './config';
import { startNotifier } from './notifier/notifier';
import { startWorker } from './worker';

const subcommands = ['consume', 'migrate', 'notify'] as const;
type Subcommand = (typeof subcommands)[number];

async function main(argv: string[]): Promise<void> {
  const sub = (argv[0] ?? 'consume') as Subcommand;
  if (!subcommands.includes(sub)) throw new ConfigError([`subcommand "${argv[0]}": expected one of ${subcommands.join(', ')}`]);
  const log = createLogger(sub === 'notify' ? 'notifier' : 'worker', parseEnv(z.object(loggingSettings)).LOG_LEVEL);

  if (sub === 'migrate') {
    const cfg = parseEnv(z.object({ DATABASE_URL: z.string().min(1) }));
    const applied = await migrate({ databaseUrl: cfg.DATABASE_URL, log: (m) => log.debug(m) });
    log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'schema is current');
    return;
  }

  // The handlers go in before start-up: joining the group can take a rebalance (seconds), and a SIGTERM meanwhile
  // must still stop the process cleanly (once started), not kill it with Node's default action.
  let signals = 0;
  let requested: NodeJS.Signals | undefined;
  const started: { running?: { stop(): Promise<void> } } = {};
  const stop = (signal: NodeJS.Signals) => {
    log.info({ signal }, 'shutting down');
    started.running!.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err: err.message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1); // a second signal: stop waiting
    if (started.running) stop(signal);
    else requested = signal; // still starting: stop as soon as it has started
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  log.info({ subcommand: sub }, 'starting');
  started.running = sub === 'notify' ? await startNotifier(loadNotifierConfig(), log) : await startWorker(loadWorkerConfig(), log);
  if (requested) stop(requested);
}

main(process.argv.slice(2)).catch((err: Error) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else createLogger('worker').fatal({ err: err.message, stack: err.stack }, 'worker failed to start');
  process.exit(1);
});
