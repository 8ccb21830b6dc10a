/**
 * One load process of the keep-alive scenario (started by keepalive-10k.ts with a raised
 * file-descriptor limit). It holds one keep-alive HTTP/1.1 connection per assigned index (node:http,
 * an Agent with one socket per connection), sends one event per connection per interval at the
 * connection's phase, and reports counts, failures and every 2xx latency of the measurement window
 * over IPC. Protocol: child → {type:'ready'}; parent → {type:'run', config}; child → {type:'report', report}.
 */
import http from 'node:http';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { firstSlot, percentiles, slotAt, type LoadReport, type PacingPlan } from './paced-load';

export interface LoadConfig {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  /** Global connection indices this process owns. */
  indices: number[];
  plan: PacingPlan;
  /** Epoch ms: slot 0 of connection 0. */
  startAt: number;
  /** Epoch ms: requests whose slot falls in [windowStartAt, windowEndAt) are measured. */
  windowStartAt: number;
  windowEndAt: number;
  timeoutMs: number;
}

export type LoadMessage = { type: 'ready' } | { type: 'report'; report: LoadReport };

/** The body of the n-th request of connection i: one event, as a device would send it. */
function eventBody(i: number, n: number): string {
  return JSON.stringify({
    deviceId: `keepalive-${i % 1000}`,
    ts: new Date().toISOString(),
    metrics: { rain_mm_h: (n % 50) / 2, soil_moisture_pct: 30 + (i % 20), tilt_deg: 0.1 },
  });
}

export function runLoad(cfg: LoadConfig): Promise<LoadReport> {
  let connectsOpened = 0;
  let open = 0;
  let closedEarly = 0;
  let ending = false;
  let openAtWindowStart = 0;
  let openAtWindowEnd = 0;
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let timeouts = 0;
  let rampSent = 0;
  let rampFailed = 0;
  let inFlight = 0;
  const statusCounts: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const latenciesMs: number[] = [];
  const sendLagMs: number[] = [];
  const agents: http.Agent[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (at: number, fn: () => void) => {
    const t = setTimeout(
      () => {
        timers.delete(t);
        fn();
      },
      Math.max(0, at - Date.now()),
    );
    timers.add(t);
  };

  return new Promise<LoadReport>((resolve) => {
    let finished = false;
    let windowEnded = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      // The last answer can come before the window-end timer runs: count the open sockets now, before closing them.
      if (!windowEnded) openAtWindowEnd = open;
      ending = true;
      for (const t of timers) clearTimeout(t);
      resolve({
        connections: cfg.indices.length,
        connectsOpened,
        closedEarly,
        openAtWindowStart,
        openAtWindowEnd,
        sent,
        ok,
        non2xx,
        statusCounts,
        errors,
        timeouts,
        latenciesMs,
        rampSent,
        rampFailed,
        sendLagP99Ms: percentiles(sendLagMs).p99,
        windowMs: cfg.windowEndAt - cfg.windowStartAt,
      });
      for (const a of agents) a.destroy();
    };
    const maybeFinish = () => {
      if (Date.now() >= cfg.windowEndAt && inFlight === 0) finish();
    };
    later(cfg.windowStartAt, () => (openAtWindowStart = open));
    later(cfg.windowEndAt, () => {
      openAtWindowEnd = open;
      windowEnded = true;
      maybeFinish();
    });
    // Answers still missing this long after the window are timeouts already; never wait longer.
    later(cfg.windowEndAt + cfg.timeoutMs + 2000, finish);

    for (const index of cfg.indices) {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
      agent.createConnection = (options: net.NetConnectOpts) => {
        const socket = net.createConnection(options);
        connectsOpened++;
        open++;
        socket.once('close', () => {
          open--;
          if (!ending) closedEarly++;
        });
        return socket;
      };
      agents.push(agent);
      let k = firstSlot(cfg.plan, index);
      const send = () => {
        if (ending) return;
        const slot = slotAt(cfg.plan, cfg.startAt, index, k);
        if (slot >= cfg.windowEndAt) return maybeFinish();
        const inWindow = slot >= cfg.windowStartAt;
        const lag = Date.now() - slot;
        sendLagMs.push(lag);
        if (inWindow) sent++;
        else rampSent++;
        const body = eventBody(index, k);
        const began = performance.now();
        let settled = false;
        inFlight++;
        const settle = (outcome: { status: number } | { error: string } | 'timeout') => {
          if (settled) return;
          settled = true;
          inFlight--;
          const failed = outcome === 'timeout' || 'error' in outcome || outcome.status < 200 || outcome.status >= 300;
          if (failed && !inWindow) rampFailed++;
          if (outcome === 'timeout') timeouts++;
          else if ('error' in outcome) errors[outcome.error] = (errors[outcome.error] ?? 0) + 1;
          else if (outcome.status >= 200 && outcome.status < 300) {
            if (inWindow) {
              ok++;
              latenciesMs.push(performance.now() - began);
            }
          } else {
            non2xx++;
            statusCounts[outcome.status] = (statusCounts[outcome.status] ?? 0) + 1;
          }
          k++;
          later(slotAt(cfg.plan, cfg.startAt, index, k), send);
        };
        const req = http.request(
          { host: cfg.host, port: cfg.port, path: cfg.path, method: 'POST', agent, headers: { ...cfg.headers, 'content-length': Buffer.byteLength(body) } },
          (res) => {
            res.resume();
            res.once('end', () => settle({ status: res.statusCode ?? 0 }));
            res.once('error', (err: NodeJS.ErrnoException) => settle({ error: err.code ?? err.message }));
          },
        );
        req.setTimeout(cfg.timeoutMs, () => {
          settle('timeout');
          req.destroy();
        });
        req.once('error', (err: NodeJS.ErrnoException) => settle({ error: err.code ?? err.message }));
        req.end(body);
      };
      later(slotAt(cfg.plan, cfg.startAt, index, k), send);
    }
  });
}

if (require.main === module) {
  process.on('message', (m: { type: string; config?: LoadConfig }) => {
    if (m.type !== 'run' || !m.config) return;
    void runLoad(m.config).then((report) => {
      process.send!({ type: 'report', report } satisfies LoadMessage, () => process.exit(0));
    });
  });
  process.send!({ type: 'ready' } satisfies LoadMessage);
}
