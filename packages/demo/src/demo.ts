/**
 * `make demo`: the whole system on the local stack. Starts the stack, applies the
 * schema, runs the API, the notifier (delivering to a local webhook receiver) and a
 * pool of workers sized by the LagScaler's decision function, then drives a storm over
 * a simulated sensor fleet while a terminal view shows ingest, lag, scaling and alerts.
 * Ends with a summary that checks every accepted event was stored, and stops everything.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SignJWT } from 'jose';
import { createLogger, kafkaConnection, kafkaSettings, parseEnv, topicNames } from '@floodgate/config';
import { down, freePort, repoRoot, stackEnv, up, type StackFile } from '@floodgate/devstack';
import { makeFleet, newLedger, rainfall, runFleet } from '@floodgate/fleet-simulator';
import { defaultScaleDown, defaultScaleUp } from '@floodgate/operator/src/decide-replicas';
import { LagReader } from '@floodgate/operator/src/lag-reader';
import { LocalPool, runLocalScaler } from '@floodgate/operator/src/local-pool';
import { z } from 'zod';
import { loadDemoSettings, type DemoSettings } from './demo-settings';
import { renderSummary, renderView, type Summary, type ViewState } from './live-view';
import { startService, tsxCommand, waitHealthy, type ServiceProcess } from './service-process';
import { startWebhookReceiver } from './webhook-receiver';

/** Each worker process's WORKER_CONSUMERS, and the scaler's consumersPerReplica: one number for both. */
const CONSUMERS_PER_WORKER = 2;

export interface DemoResult {
  summary: Summary;
  logDir: string;
}

export async function runDemo(settings: DemoSettings, out: (text: string, redraw: boolean) => void, signal?: AbortSignal): Promise<DemoResult> {
  const t0 = Date.now();
  const dir = settings.DEMO_DIR ?? path.join(repoRoot(), '.floodgate', 'demo');
  const logDir = path.join(dir, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  fs.chmodSync(dir, 0o755);
  const say = (line: string) => out(line, false);
  const services: ServiceProcess[] = [];
  let stack: StackFile | undefined;
  let scaler: { stop: () => Promise<void> } | undefined;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>> | undefined;
  let db: pg.Pool | undefined;
  try {
    say('starting the local stack (Kafka, PostgreSQL primary + replica, Redis) ...');
    const servers = ['kafka', 'postgres', 'redis'];
    const jaegerBin = path.join(process.env.XDG_CACHE_HOME ?? path.join(process.env.HOME ?? '', '.cache'), 'floodgate/tools/bin/jaeger');
    if (fs.existsSync(jaegerBin)) servers.push('jaeger');
    stack = await up({ dir: path.join(dir, 'stack'), servers, log: (l) => say(`  ${l}`) });
    const base: NodeJS.ProcessEnv = { ...process.env, ...stackEnv(stack), LOG_LEVEL: 'info', NODE_OPTIONS: '--disable-warning=TimeoutNegativeWarning' };
    const traced = servers.includes('jaeger');

    say('applying the schema (migrations) ...');
    const migrate = startService('migrate', 'services/worker/src/main.ts', ['migrate'], base, logDir);
    const code = await new Promise<number | null>((r) => migrate.child.once('exit', r));
    if (code !== 0) throw new Error(`migrations failed; see ${migrate.logFile}`);

    const jwtSecret = crypto.randomBytes(32).toString('hex');
    const apiPort = await freePort();
    const api = startService(
      'api',
      'services/api/src/main.ts',
      [],
      { ...base, PORT: String(apiPort), HOST: '127.0.0.1', JWT_SECRET: jwtSecret, OTEL_SERVICE_NAME: 'floodgate-api', RATE_LIMIT_PER_MINUTE: '1000000' },
      logDir,
      traced,
    );
    services.push(api);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitHealthy(api, `${apiUrl}/healthz`);
    say(`API on ${apiUrl}`);

    const hmac = crypto.randomBytes(24).toString('hex');
    receiver = await startWebhookReceiver(hmac);
    const notifier = startService(
      'notifier',
      'services/worker/src/main.ts',
      ['notify'],
      {
        ...base,
        HTTP_PORT: String(await freePort()),
        NOTIFIER_WEBHOOK_URLS: receiver.url,
        NOTIFIER_WEBHOOK_SECRET: hmac,
        NOTIFIER_ALLOW_PRIVATE_TARGETS: 'true',
        OTEL_SERVICE_NAME: 'floodgate-notifier',
      },
      logDir,
      traced,
    );
    services.push(notifier);

    // The worker pool: the operator's decision function sizing local processes from lag.
    const kafkaCfg = parseEnv(z.object(kafkaSettings), base);
    const worker = tsxCommand('services/worker/src/main.ts', ['consume'], traced);
    const log = createLogger('demo-scaler', 'silent');
    const pool = new LocalPool({
      command: worker.command,
      args: worker.args,
      env: { ...base, OTEL_SERVICE_NAME: 'floodgate-worker', WORKER_CONSUMERS: String(CONSUMERS_PER_WORKER) },
      httpPortBase: await freePort(),
      stopGraceMs: 20000,
      logFile: path.join(logDir, 'workers.log'),
      log,
    });
    const view: ViewState = {
      elapsedSeconds: 0,
      progress: 0,
      phase: 'dry',
      fleetRainMmH: 0,
      acceptedTotal: 0,
      acceptedPerSecond: 0,
      retries: 0,
      statusCounts: {},
      lag: undefined,
      workers: 0,
      desiredWorkers: undefined,
      lastReason: undefined,
      scaleUps: 0,
      scaleDowns: 0,
      openAlerts: {},
      alertsOpened: 0,
      alertsResolved: 0,
      webhookDeliveries: 0,
      stored: 0,
      links: { devices: String(settings.DEMO_DEVICES), api: `${apiUrl}/openapi.json`, logs: logDir },
    };
    if (traced) view.links.jaeger = `${stack.servers.jaeger && stackEnv(stack).FLOODGATE_JAEGER_QUERY_URL} (traces of api, worker, notifier)`;
    let maxWorkers = 0;
    // The reader measures for the scaler; the view shows what it measured.
    const reader = new LagReader(kafkaConnection({ ...kafkaCfg, KAFKA_CLIENT_ID: 'floodgate-demo-scaler' }));
    const measure = reader.read.bind(reader);
    reader.read = async (...args: Parameters<typeof measure>) => {
      const m = await measure(...args);
      view.lag = m.totalLag;
      return m;
    };
    scaler = runLocalScaler({
      pool,
      reader,
      group: 'floodgate-worker',
      topics: [topicNames(kafkaCfg.KAFKA_TOPIC_PREFIX).events],
      offsetResetPolicy: 'earliest',
      spec: {
        minReplicas: 1,
        maxReplicas: settings.DEMO_MAX_WORKERS,
        lagPerReplica: settings.DEMO_LAG_PER_REPLICA,
        activationLag: 0,
        consumersPerReplica: CONSUMERS_PER_WORKER,
        scaleUp: defaultScaleUp,
        scaleDown: { ...defaultScaleDown, stabilizationWindowSeconds: settings.DEMO_SCALE_DOWN_WINDOW_SECONDS },
      },
      pollingIntervalSeconds: settings.DEMO_POLLING_SECONDS,
      log,
      onDecision: (d) => {
        if (d.desiredReplicas > view.workers && view.workers > 0) view.scaleUps++;
        if (d.desiredReplicas < view.workers) view.scaleDowns++;
        view.desiredWorkers = d.desiredReplicas;
        view.lastReason = d.reason;
        view.workers = pool.size;
        maxWorkers = Math.max(maxWorkers, pool.size, d.desiredReplicas);
      },
    });

    const token = await new SignJWT({ role: 'gateway' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('demo-gateway')
      .setIssuer('floodgate')
      .setAudience('floodgate-api')
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(jwtSecret));
    db = new pg.Pool({ connectionString: base.DATABASE_URL, max: 2 });
    const fleet = makeFleet(settings.DEMO_DEVICES);
    const ledger = newLedger();
    let lastAccepted = 0;
    let lastTick = Date.now();
    const refresh = async () => {
      const now = Date.now();
      view.elapsedSeconds = (now - t0) / 1000;
      view.acceptedPerSecond = ((ledger.accepted.size - lastAccepted) * 1000) / Math.max(1, now - lastTick);
      lastAccepted = ledger.accepted.size;
      lastTick = now;
      view.acceptedTotal = ledger.accepted.size;
      view.retries = ledger.retries;
      view.statusCounts = { ...ledger.statusCounts };
      view.workers = pool.size;
      view.fleetRainMmH = fleet.reduce((sum, d) => sum + rainfall(view.progress, d), 0) / fleet.length;
      view.phase = view.fleetRainMmH < 2 ? (view.progress < 0.5 ? 'dry' : 'clearing') : view.fleetRainMmH < 15 ? 'rain' : 'heavy rain';
      view.webhookDeliveries = receiver!.deliveries.length;
      try {
        const open = await db!.query<{ severity: string; n: number }>(`select severity, count(*)::int as n from alerts where status = 'open' group by 1`);
        view.openAlerts = Object.fromEntries(open.rows.map((r) => [r.severity, r.n]));
        const kinds = await db!.query<{ kind: string; n: number }>(`select kind, count(*)::int as n from alert_transitions group by 1`);
        const k = Object.fromEntries(kinds.rows.map((r) => [r.kind, r.n]));
        view.alertsOpened = k.opened ?? 0;
        view.alertsResolved = k.resolved ?? 0;
        view.stored = (await db!.query<{ n: number }>(`select count(*)::int as n from readings`)).rows[0]!.n;
      } catch {
        // the database is busy or restarting: keep the last numbers
      }
      out(renderView(view), true);
    };
    const ticker = setInterval(() => void refresh(), 1000);
    try {
      await runFleet({
        baseUrl: apiUrl,
        token,
        ledger,
        devices: settings.DEMO_DEVICES,
        durationSeconds: settings.DEMO_SECONDS,
        stormBurst: settings.DEMO_STORM_BURST,
        tickMs: settings.DEMO_TICK_MS,
        onTick: (p) => (view.progress = p),
        ...(signal ? { signal } : {}),
      });
      view.progress = 1;
      // Drain: wait until every accepted event is stored (or the timeout).
      const drainDeadline = Date.now() + settings.DEMO_DRAIN_TIMEOUT_SECONDS * 1000;
      while (!signal?.aborted && Date.now() < drainDeadline && (await countStored(db, [...ledger.accepted])) < ledger.accepted.size) await sleep(1000);
      await sleep(2 * 1000); // let the notifier deliver the last transitions
      await refresh();
    } finally {
      clearInterval(ticker);
    }

    const accepted = [...ledger.accepted];
    const stored = await countStored(db, accepted);
    const undeterminedStored = await countStored(db, [...ledger.undetermined]);
    const kinds = await db.query<{ kind: string; n: number }>(`select kind, count(*)::int as n from alert_transitions group by 1`);
    const k = Object.fromEntries(kinds.rows.map((r) => [r.kind, r.n]));
    const summary: Summary = {
      accepted: accepted.length,
      stored,
      lost: accepted.length - stored,
      rejected: ledger.rejected.size,
      undetermined: ledger.undetermined.size,
      undeterminedStored,
      alertsOpened: k.opened ?? 0,
      alertsEscalated: k.escalated ?? 0,
      alertsResolved: k.resolved ?? 0,
      webhookDeliveries: receiver.deliveries.length,
      badSignatures: receiver.deliveries.filter((d) => !d.signatureValid).length,
      scaleUps: view.scaleUps,
      maxWorkers,
      seconds: (Date.now() - t0) / 1000,
    };
    return { summary, logDir };
  } finally {
    say('stopping the workers, notifier and API ...');
    await scaler?.stop().catch(() => undefined);
    await Promise.all(services.map((s) => s.stop()));
    await receiver?.close();
    await db?.end().catch(() => undefined);
    if (stack && !settings.DEMO_KEEP_STACK) {
      say('stopping the local stack ...');
      await down({ dir: stack.dir });
    }
  }
}

/** How many of these event ids are stored as readings (in chunks, so the query stays small). */
async function countStored(db: pg.Pool, eventIds: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < eventIds.length; i += 10000) {
    const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from readings where event_id = any($1::uuid[])`, [eventIds.slice(i, i + 10000)]);
    n += rows[0]!.n;
  }
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (require.main === module) {
  const settings = loadDemoSettings();
  const tty = process.stdout.isTTY && !settings.DEMO_PLAIN;
  let lastPlain = 0;
  const out = (text: string, redraw: boolean) => {
    if (!redraw) process.stdout.write(`${text}\n`);
    else if (tty) process.stdout.write(`\x1b[H\x1b[2J${text}\n`);
    else if (Date.now() - lastPlain > 5000) {
      lastPlain = Date.now();
      process.stdout.write(`${text.split('\n').slice(1, 8).join('\n')}\n`);
    }
  };
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stdout.write('\nCtrl-C: finishing cleanly (Ctrl-C again to force) ...\n');
    abort.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  runDemo(settings, out, abort.signal).then(
    ({ summary, logDir }) => {
      process.stdout.write(`\n${renderSummary(summary)}\n  logs      ${logDir}\n`);
      process.exit(summary.lost === 0 ? 0 : 1);
    },
    (err: Error) => {
      process.stderr.write(`demo failed: ${err.message}\n`);
      process.exit(1);
    },
  );
}
