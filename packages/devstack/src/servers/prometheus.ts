/**
 * Prometheus from Debian's packages (2.42): loopback only, a 1 s scrape and evaluation interval, the
 * project's rule files loaded, and scrape targets read from a file_sd JSON file that tests and the demo
 * rewrite at run time (Prometheus re-reads it within a second; no restart, no reload).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRunning, requireCommand, startDaemon, stopDaemon, waitFor } from '../daemon';
import { portFromEnv } from '../free-port';
import { repoRoot } from '../paths';
import type { ServerContext, ServerModule, ServerState } from '../server';

export interface PrometheusState extends ServerState {
  port: number;
  /** The file_sd targets file: a JSON array of {targets: ["host:port"], labels: {job: "..."}}. */
  targetsFile: string;
  ruleFiles: string[];
  version: string;
}

export interface ScrapeTarget {
  /** `host:port` serving /metrics. */
  targets: string[];
  /** Usually at least `job`; a label set here replaces the scrape job's default. */
  labels?: Record<string, string>;
}

/** Rule files that exist in this checkout, by default the project's own alerting and recording rules. */
function ruleFiles(): string[] {
  const configured = process.env.FLOODGATE_PROMETHEUS_RULE_FILES;
  const files = configured
    ? configured.split(',').map((f) => path.resolve(f.trim()))
    : [path.join(repoRoot(), 'charts', 'floodgate', 'files', 'prometheus-rules.yaml')];
  return files.filter((f) => fs.existsSync(f));
}

function configYaml(targetsFile: string, rules: string[]): string {
  // JSON is valid YAML, and quoting every path avoids surprises with odd folder names.
  return JSON.stringify(
    {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: rules,
      scrape_configs: [{ job_name: 'floodgate', file_sd_configs: [{ files: [targetsFile], refresh_interval: '1s' }] }],
    },
    null,
    2,
  );
}

/** Replaces the scrape targets (atomically, so Prometheus never reads half a file). */
export function writeScrapeTargets(targetsFile: string, targets: ScrapeTarget[]): void {
  const tmp = `${targetsFile}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(targets, null, 2));
  fs.renameSync(tmp, targetsFile);
}

async function buildInfo(port: number): Promise<string> {
  const ready = await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(2000) });
  if (!ready.ok) throw new Error(`/-/ready: HTTP ${ready.status}`);
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/status/buildinfo`, { signal: AbortSignal.timeout(2000) });
  const body = (await res.json()) as { data?: { version?: string } };
  return body.data?.version ?? 'unknown';
}

export const prometheusServer: ServerModule<PrometheusState> = {
  name: 'prometheus',

  async start(ctx: ServerContext, previous?: PrometheusState): Promise<PrometheusState> {
    const bin = requireCommand('prometheus', 'install Prometheus: apt-get install -y prometheus (Debian 12 ships 2.42; promtool comes with it)');
    if (!ctx.keepData) fs.rmSync(ctx.dir, { recursive: true, force: true });
    fs.mkdirSync(ctx.dir, { recursive: true });
    const port = ctx.keepData && previous ? previous.port : await portFromEnv('FLOODGATE_PROMETHEUS_PORT', 'Prometheus');
    const targetsFile = path.join(ctx.dir, 'targets.json');
    if (!fs.existsSync(targetsFile)) writeScrapeTargets(targetsFile, []);
    const rules = ruleFiles();
    const configFile = path.join(ctx.dir, 'prometheus.yml');
    fs.writeFileSync(configFile, configYaml(targetsFile, rules));
    const logFile = path.join(ctx.dir, 'prometheus.log');
    const pid = startDaemon(
      bin,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${path.join(ctx.dir, 'data')}`,
        '--storage.tsdb.retention.time=6h',
        `--web.listen-address=127.0.0.1:${port}`,
        // Lets a test reload edited rule files (POST /-/reload) without a restart.
        '--web.enable-lifecycle',
      ],
      { logFile, cwd: ctx.dir },
    );
    const version = await waitFor('Prometheus', () => buildInfo(port), { timeoutMs: 30000, pid, logFile });
    return { pids: [pid], dir: ctx.dir, logFiles: [logFile], port, targetsFile, ruleFiles: rules, version };
  },

  async stop(state: PrometheusState): Promise<void> {
    for (const pid of state.pids) await stopDaemon(pid, 'SIGTERM', 10000);
  },

  async check(state: PrometheusState): Promise<string> {
    if (!state.pids.some(isRunning)) throw new Error('not running');
    return `Prometheus ${await buildInfo(state.port)} http://127.0.0.1:${state.port} (targets: ${state.targetsFile}, ${state.ruleFiles.length} rule file(s))`;
  },

  env(state: PrometheusState): Record<string, string> {
    return { FLOODGATE_PROMETHEUS_URL: `http://127.0.0.1:${state.port}`, FLOODGATE_PROMETHEUS_TARGETS_FILE: state.targetsFile };
  },
};
