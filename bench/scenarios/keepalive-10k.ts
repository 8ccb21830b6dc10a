/**
 * `keepalive-10k`: one API process holds 10,000 concurrent keep-alive connections, each sending one
 * event (POST /v1/events, a gateway token) per interval, so the offered load is paced (1,000 req/s by
 * default) and every connection stays open and idle in between. Ceiling in the same run: bare
 * Express (bench/api/bare-express.ts, same server timeouts) holding the same connections with the
 * same load processes.
 *
 * Connections held are read from the server's side: the socket descriptors in /proc/<pid>/fd of
 * the API process (less those it held before the load) and the kernel's ESTABLISHED count on its
 * port, sampled every second of the measurement window. The API and the load processes run with
 * a soft file-descriptor limit raised for them alone (prlimit) when the inherited one is too low.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '@floodgate/db';
import { freePort } from '@floodgate/devstack';
import { withResources } from '../harness/resources';
import { benchToken, createTopics, jwtSecret, kafkaAdmin, root, runId, sleep } from '../harness/services';
import type { Ratio, ResultRow, Scenario, ScenarioContext } from '../harness/scenario';
import { firstMessage, startNodeChild, stopChild } from './support/node-child';
import { mergeLoadReports, pacingPlan, splitConnections, type LoadReport, type MergedLoad, type PacingPlan } from './support/paced-load';
import type { LoadConfig, LoadMessage } from './support/paced-load-process';
import {
  countFds,
  countSocketFds,
  cpuShares,
  readEstablishedOnPort,
  readListenOverflows,
  readNofileLimits,
  readRssBytes,
  readSchedstat,
  type Schedstat,
} from './support/proc';

const CONNECTIONS = Number(process.env.BENCH_KEEPALIVE_CONNECTIONS ?? 10_000);
/** Offered load over all connections; each connection sends every CONNECTIONS / RATE seconds. */
const RATE = Number(process.env.BENCH_KEEPALIVE_RATE ?? 1000);
/** A reference row: the same rate over this many connections, to tell the cost of the sockets from the cost of the work. */
const FEW_CONNECTIONS = 100;
/** Connections open over this many intervals (10,000 over 20 s: 500 new connections/s), not in one burst. */
const RAMP_INTERVALS = 2;
const LOAD_PROCESSES = Number(process.env.BENCH_KEEPALIVE_PROCESSES ?? 2);
/** Descriptors a process needs besides its connections (Kafka, Redis, PostgreSQL, pipes, node itself). */
const FD_HEADROOM = 1024;
const REQUEST_TIMEOUT_MS = 10_000;

const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Target {
  label: string;
  ceiling: boolean;
  pid: number;
  port: number;
  path: string;
  headers: Record<string, string>;
}

interface HoldResult {
  load: MergedLoad;
  held: HeldSamples;
  /** [seconds since the ramp began, value], every second. */
  sockets: Array<[number, number]>;
  rss: Array<[number, number]>;
}

interface HeldSamples {
  /** Descriptors of the server process beyond those before the load, every second of the window (the load adds only sockets). */
  fdsMin: number;
  fdsMax: number;
  /** At the window's first and last sample: the server's socket descriptors, and the kernel's ESTABLISHED count on its port, beyond those before the load. */
  socketsAtStart: number;
  socketsAtEnd: number;
  establishedAtStart: number;
  establishedAtEnd: number;
  rssMaxBytes: number;
  samples: number;
  /** Accept-queue overflows (system-wide) from the ramp to the end of the window. */
  listenOverflows: number;
  /** The machine's 1-minute load average at the end of the window (other work on it skews every figure). */
  loadAverage: number;
  /** Over the window: the server's event-loop thread on a CPU, and runnable but waiting for one (in % of wall time). */
  serverOnCpuPct: number;
  serverWaitingPct: number;
  /** The same for the busiest-waiting load process: a starved load generator skews latency too. */
  loadWaitingPct: number;
}

/** Waits until `count` has not changed for a second (at most `ms`), e.g. until a server has closed a finished load's sockets. */
async function steady(count: () => number, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  let last = count();
  let since = Date.now();
  while (Date.now() < until && Date.now() - since < 1000) {
    await sleep(100);
    const now = count();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

/**
 * One request on a connection of its own, closed after the answer. fetch() would leave its connection in a
 * keep-alive pool that the server counts until it idles out, a minute later, in the middle of the window.
 */
function requestOnce(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: opts.method ?? 'GET', agent: false, headers: { ...opts.headers, connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.once('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from 127.0.0.1:${port}${path} within 5 s`)));
    req.once('error', reject);
    req.end(opts.body);
  });
}

async function waitForHealth(port: number, child: ChildProcess, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode} before it answered /healthz`);
    const ok = await requestOnce(port, '/healthz').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > until) throw new Error(`the API did not answer /healthz within ${ms} ms`);
    await sleep(200);
  }
}

/** A few hundred requests, ten at a time, before the load (JIT, Kafka connections); each must be 2xx. */
async function warmUp(target: Target): Promise<void> {
  const body = JSON.stringify({ deviceId: 'keepalive-warmup', ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } });
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 30; i++) {
        const res = await requestOnce(target.port, target.path, { method: 'POST', headers: target.headers, body });
        if (res.status < 200 || res.status >= 300) throw new Error(`warm-up of ${target.label}: ${res.status} ${res.text.slice(0, 300)}`);
      }
    }),
  );
}

/** Starts the load processes, runs the paced load against `target`, and samples the server's side every second. */
async function holdConnections(ctx: ScenarioContext, target: Target, plan: PacingPlan, windowMs: number): Promise<HoldResult> {
  const slices = splitConnections(plan.connections, LOAD_PROCESSES);
  const script = path.join(__dirname, 'support', 'paced-load-process.ts');
  const children = slices.map((slice) => startNodeChild(script, { env: process.env, nofile: slice.length + FD_HEADROOM }));
  try {
    const isReady = (m: unknown): m is LoadMessage => (m as LoadMessage)?.type === 'ready';
    await Promise.all(children.map((c, i) => firstMessage(c, `load process ${i}`, 60_000, isReady)));
    // What the server held before the load (its own clients, the warm-up's pooled connections) is not counted.
    // Sockets of an earlier load on the same server close asynchronously: count once the number stands still.
    await steady(() => countFds(target.pid));
    const baseline = countSocketFds(target.pid);
    const fdBaseline = countFds(target.pid);
    const establishedBaseline = readEstablishedOnPort(target.port);
    const rssBefore = readRssBytes(target.pid);
    // The ramp opens connections one after another over plan.rampMs; one more interval lets connections
    // whose SYN met a full accept queue (retried by the kernel after 1 s, 3 s...) arrive before the window.
    const startAt = Date.now() + 1000;
    const windowStartAt = startAt + plan.rampMs + plan.intervalMs;
    const windowEndAt = windowStartAt + windowMs;
    const isReport = (m: unknown): m is { type: 'report'; report: LoadReport } => (m as LoadMessage)?.type === 'report';
    const reports = children.map((c, i) => firstMessage(c, `load process ${i}`, windowEndAt - Date.now() + REQUEST_TIMEOUT_MS + 60_000, isReport));
    slices.forEach((indices, i) => {
      const config: LoadConfig = {
        host: '127.0.0.1',
        port: target.port,
        path: target.path,
        headers: target.headers,
        indices,
        plan,
        startAt,
        windowStartAt,
        windowEndAt,
        timeoutMs: REQUEST_TIMEOUT_MS,
      };
      children[i]!.send({ type: 'run', config });
    });
    ctx.log(
      `${target.label}: opening ${fmt(plan.connections)} connections over ${(plan.rampMs / 1000).toFixed(1)} s, settling ${(plan.intervalMs / 1000).toFixed(1)} s, then ${(windowMs / 1000).toFixed(0)} s measured`,
    );
    const overflowsBefore = readListenOverflows();
    const held: HeldSamples = {
      fdsMin: Infinity,
      fdsMax: 0,
      socketsAtStart: 0,
      socketsAtEnd: 0,
      establishedAtStart: 0,
      establishedAtEnd: 0,
      rssMaxBytes: rssBefore,
      samples: 0,
      listenOverflows: 0,
      loadAverage: 0,
      serverOnCpuPct: 0,
      serverWaitingPct: 0,
      loadWaitingPct: 0,
    };
    let cpuAtWindowStart: { at: number; server: Schedstat; load: Schedstat[] } | undefined;
    const sockets: Array<[number, number]> = [];
    const rss: Array<[number, number]> = [];
    // Sampled from the start of the ramp (for the series); the held figures count the window only.
    await sleep(Math.max(0, startAt - Date.now()));
    // Readlink of every descriptor and /proc/net/tcp cost tens of milliseconds of CPU at 10,000 connections: they
    // are read at the window's edges only; every second, a plain count of descriptors.
    const exact = () => ({
      sockets: countSocketFds(target.pid) - baseline,
      established: readEstablishedOnPort(target.port) - establishedBaseline,
    });
    while (Date.now() < windowEndAt - 1000) {
      const now = Date.now();
      const fds = countFds(target.pid) - fdBaseline;
      const rssBytes = readRssBytes(target.pid);
      sockets.push([Math.round((now - startAt) / 100) / 10, fds]);
      rss.push([Math.round((now - startAt) / 100) / 10, mib(rssBytes)]);
      if (now >= windowStartAt) {
        if (!cpuAtWindowStart) {
          cpuAtWindowStart = { at: now, server: readSchedstat(target.pid), load: children.map((c) => readSchedstat(c.pid!)) };
          ({ sockets: held.socketsAtStart, established: held.establishedAtStart } = exact());
        }
        held.fdsMin = Math.min(held.fdsMin, fds);
        held.fdsMax = Math.max(held.fdsMax, fds);
        held.rssMaxBytes = Math.max(held.rssMaxBytes, rssBytes);
        held.samples++;
      }
      await sleep(1000 - ((Date.now() - startAt) % 1000));
    }
    ({ sockets: held.socketsAtEnd, established: held.establishedAtEnd } = exact());
    if (cpuAtWindowStart) {
      const wall = Date.now() - cpuAtWindowStart.at;
      const server = cpuShares(cpuAtWindowStart.server, readSchedstat(target.pid), wall);
      held.serverOnCpuPct = server.onCpuPct;
      held.serverWaitingPct = server.waitingPct;
      held.loadWaitingPct = Math.max(...children.map((c, i) => cpuShares(cpuAtWindowStart!.load[i]!, readSchedstat(c.pid!), wall).waitingPct));
    }
    held.listenOverflows = readListenOverflows() - overflowsBefore;
    held.loadAverage = Math.round(os.loadavg()[0]! * 10) / 10;
    const load = mergeLoadReports((await Promise.all(reports)).map((m) => m.report));
    ctx.log(
      `${target.label}: ${fmt(load.okPerSecond)} req/s, p50 ${load.latencyMs.p50.toFixed(1)} ms, p99 ${load.latencyMs.p99.toFixed(1)} ms, failed ${load.failed}, held ${held.fdsMin}..${held.fdsMax} sockets, RSS ${mib(held.rssMaxBytes)} MiB`,
    );
    return { load, held: held.samples ? held : { ...held, fdsMin: 0 }, sockets, rss };
  } finally {
    await Promise.all(children.map((c) => stopChild(c)));
  }
}

function row(target: Target, plan: PacingPlan, r: HoldResult, rssIdle: number): ResultRow {
  const { load, held } = r;
  return {
    label: target.label,
    ceiling: target.ceiling,
    throughput: { value: Math.round(load.okPerSecond), unit: 'req/s' },
    latencyMs: { p50: round2(load.latencyMs.p50), p90: round2(load.latencyMs.p90), p99: round2(load.latencyMs.p99), max: round2(load.latencyMs.max) },
    errors: load.failed,
    extra: {
      'offered req/s': plan.ratePerSecond,
      'held (server fds, min)': held.fdsMin,
      'server sockets (window start/end)': `${held.socketsAtStart}/${held.socketsAtEnd}`,
      'established (kernel, window start/end)': `${held.establishedAtStart}/${held.establishedAtEnd}`,
      'open at window end (client)': load.openAtWindowEnd,
      'failed before the window': load.rampFailed,
      reconnects: load.connectsOpened - load.connections,
      'closed early': load.closedEarly,
      non2xx: load.non2xx,
      timeouts: load.timeouts,
      'transport errors': Object.values(load.errors).reduce((s, v) => s + v, 0),
      'RSS MiB (idle)': mib(rssIdle),
      'RSS MiB (window, max)': mib(held.rssMaxBytes),
      'send lag p99 ms': Math.round(load.sendLagP99Ms),
      'server on CPU %': held.serverOnCpuPct,
      'server waiting for CPU %': held.serverWaitingPct,
      'load process waiting for CPU % (max)': held.loadWaitingPct,
      'listen queue overflows (system-wide)': held.listenOverflows,
      'load average (1 min, window end)': held.loadAverage,
    },
  };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

const scenario: Scenario = {
  name: 'keepalive-10k',
  description: `One API process holds ${fmt(CONNECTIONS)} concurrent keep-alive connections, each POSTing one event per interval (${fmt(RATE)} req/s offered in all); ceiling: bare Express holding the same connections under the same load`,
  needs: ['kafka', 'postgres', 'redis'],
  async run(ctx) {
    const plan = pacingPlan(CONNECTIONS, RATE, RAMP_INTERVALS);
    // Every connection sends once per interval: the window spans whole intervals (1 quick, 3 full) so each sends alike.
    const windowMs = Math.max(ctx.quick ? 1 : 3, Math.ceil((ctx.seconds * 1000) / plan.intervalMs)) * plan.intervalMs;
    const limits = readNofileLimits();
    const nofile = CONNECTIONS + FD_HEADROOM;
    const env = ctx.stack;
    return withResources(ctx.log, async (res) => {
      await migrate({ databaseUrl: env.DATABASE_URL! });
      const { admin } = await kafkaAdmin(res, env);
      const prefix = `bench-ka-${runId()}`;
      await createTopics(res, admin, prefix);
      const headers = { authorization: `Bearer ${await benchToken('gateway')}`, 'content-type': 'application/json' };

      // The API, as in production (services/api/src/main.ts), with the rate limit out of the way.
      const apiPort = await freePort();
      const api = startNodeChild(path.join(root, 'services/api/src/main.ts'), {
        env: {
          ...process.env,
          ...env,
          PORT: String(apiPort),
          HOST: '127.0.0.1',
          JWT_SECRET: jwtSecret,
          LOG_LEVEL: 'warn',
          KAFKA_TOPIC_PREFIX: prefix,
          RATE_LIMIT_PER_MINUTE: '1000000000',
          SHUTDOWN_DRAIN_DELAY_MS: '0',
        },
        nofile,
        output: 'ignore',
      });
      res.defer(() => stopChild(api));
      await waitForHealth(apiPort, api);
      const apiTarget: Target = {
        label: `floodgate API, ${fmt(CONNECTIONS)} keep-alive`,
        ceiling: false,
        pid: api.pid!,
        port: apiPort,
        path: '/v1/events',
        headers,
      };
      await warmUp(apiTarget);
      const apiIdleRss = readRssBytes(api.pid!);
      // The same offered rate on 100 connections first: what the API's work costs without 10,000 sockets.
      const fewTarget: Target = { ...apiTarget, label: `floodgate API, ${fmt(FEW_CONNECTIONS)} keep-alive (same rate)` };
      const fewPlan = pacingPlan(FEW_CONNECTIONS, RATE, RAMP_INTERVALS);
      const fewRun = await holdConnections(ctx, fewTarget, fewPlan, windowMs);
      const apiRun = await holdConnections(ctx, apiTarget, plan, windowMs);
      const apiLimits = readNofileLimits(api.pid!);
      await stopChild(api);

      const bare = startNodeChild(path.join(root, 'bench/api/bare-express.ts'), { env: { ...process.env, PORT: '0' }, nofile });
      res.defer(() => stopChild(bare));
      const { port: barePort } = await firstMessage(
        bare,
        'bare-express.ts',
        60_000,
        (m): m is { port: number } => typeof (m as { port?: unknown })?.port === 'number',
      );
      const bareTarget: Target = {
        label: `bare Express, ${fmt(CONNECTIONS)} keep-alive`,
        ceiling: true,
        pid: bare.pid!,
        port: barePort,
        path: '/v1/events',
        headers,
      };
      await warmUp(bareTarget);
      const bareIdleRss = readRssBytes(bare.pid!);
      const bareRun = await holdConnections(ctx, bareTarget, plan, windowMs);
      await stopChild(bare);

      const ratios: Ratio[] = [
        {
          name: 'connections held by the API (server descriptors, min over the window)',
          value: apiRun.held.fdsMin,
          target: CONNECTIONS,
          comparison: '>=',
          unit: 'connections',
        },
        { name: 'failed requests at the API (non-2xx, resets, timeouts)', value: apiRun.load.failed, target: 0, comparison: '<=', unit: 'requests' },
        {
          name: 'API throughput vs bare Express at the same offered load',
          value: round2(apiRun.load.okPerSecond / Math.max(1, bareRun.load.okPerSecond)),
          target: 0.95,
          comparison: '>=',
        },
        { name: 'API p99 latency', value: round2(apiRun.load.latencyMs.p99), unit: 'ms' },
        { name: 'bare Express p99 latency (ceiling)', value: round2(bareRun.load.latencyMs.p99), unit: 'ms' },
      ];
      return {
        scenario: 'keepalive-10k',
        description: scenario.description,
        rows: [row(apiTarget, plan, apiRun, apiIdleRss), row(fewTarget, fewPlan, fewRun, apiIdleRss), row(bareTarget, plan, bareRun, bareIdleRss)],
        ratios,
        series: [
          { name: 'API: connections held (server descriptors)', unit: 'connections', points: apiRun.sockets },
          { name: 'bare Express: connections held (server descriptors)', unit: 'connections', points: bareRun.sockets },
          { name: 'API: RSS', unit: 'MiB', points: apiRun.rss },
          { name: 'bare Express: RSS', unit: 'MiB', points: bareRun.rss },
        ],
        notes: [
          `Load: ${LOAD_PROCESSES} load processes (node:http, one keep-alive Agent socket per connection), ${fmt(CONNECTIONS)} connections, one single-event POST per connection every ${(plan.intervalMs / 1000).toFixed(1)} s at evenly spread phases = ${fmt(RATE)} req/s offered; connections opened over ${(plan.rampMs / 1000).toFixed(0)} s (${fmt(CONNECTIONS / (plan.rampMs / 1000))}/s, in an order unrelated to their phases, so the offered rate grows evenly), one interval to settle, then ${(windowMs / 1000).toFixed(0)} s measured; request timeout ${REQUEST_TIMEOUT_MS / 1000} s.`,
          'Not autocannon: it paces a connection at whole requests per second (at least 1/s), so 10,000 connections would offer at least 10,000 req/s, beyond one API process on 2 cores. Latency is from writing the request to the end of the answer; "send lag" is how late the load processes sent compared with their slots (their own CPU starvation).',
          `Held = descriptors in /proc/<pid>/fd of the server process minus those before the load (its Kafka, Redis and PostgreSQL clients; the warm-up closes its connections), every second of the window; at its first and last sample also the socket descriptors (readlink) and the ESTABLISHED sockets on the port in /proc/net/tcp, each minus its count before the load (other processes on the machine can reach the port too; those two cost tens of ms of CPU at 10,000 connections, so they are not read every second). The series are on each load's own clock (0 = its ramp began). Errors count the whole run (ramp included): non-2xx, resets, timeouts.`,
          `File descriptors: inherited soft/hard ${limits.soft}/${limits.hard}; the API ran with soft ${apiLimits.soft} (${limits.soft >= nofile ? 'inherited, already enough' : 'raised for it alone with prlimit'}); nothing system-wide changed.`,
          `Accept queue: ${fmt(apiRun.held.listenOverflows)} handshakes overflowed a listen queue during the API's run (system-wide counter, TcpExt ListenOverflows), ${fmt(bareRun.held.listenOverflows)} during bare Express's. Both listen with Node's default backlog of 511 (net.core.somaxconn is higher); when a server's event loop is busy, a burst of new connections beyond it waits for the client kernel's SYN retries (1 s, 3 s, 7 s...), which is why "held" can start the window under the total (a connection that fails outright shows as a reconnect or a transport error).`,
          'CPU: "on CPU %" and "waiting for CPU %" are shares of the window\'s wall time that the server\'s event-loop thread ran, and was runnable but waited for a CPU (/proc/<pid>/schedstat); a high wait share means other work on the 2 cores starved it, which the load average shows too.',
          'Server timeouts (API and bare Express alike): keepAliveTimeout 65 s, headersTimeout 10 s, requestTimeout 30 s; an idle keep-alive connection between two requests is closed by none of them. The ingest in-flight budget (INGEST_MAX_INFLIGHT_EVENTS, 50,000) is far above what this paced load keeps in flight.',
        ],
      };
    });
  },
};

export default scenario;
