/**
 * Jaeger v2 (an OpenTelemetry Collector distribution) built from source: OTLP gRPC and HTTP receivers,
 * in-memory trace storage and the query API, each on a free loopback port, with our own config file
 * (the stock one listens on 0.0.0.0 and fixed ports that several stacks on one machine would fight over).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isRunning, requireCommand, run, startDaemon, stopDaemon, waitFor } from '../daemon';
import { portFromEnv } from '../free-port';
import { cacheDir, repoRoot } from '../paths';
import type { ServerContext, ServerModule, ServerState } from '../server';
import { StackError } from '../stack-error';

export interface JaegerState extends ServerState {
  otlpGrpcPort: number;
  otlpHttpPort: number;
  queryPort: number;
  queryGrpcPort: number;
}

function toolsBin(): string {
  return path.join(process.env.FLOODGATE_TOOLS_DIR ?? path.join(cacheDir(), 'tools'), 'bin');
}

/** The cached binary, built through scripts/go-tools.sh the first time (needs Go). */
async function ensureBinary(): Promise<string> {
  const bin = path.join(toolsBin(), 'jaeger');
  if (fs.existsSync(bin)) return bin;
  requireCommand('go', 'install Go >= 1.25 (apt-get install golang, or from go.dev); Jaeger is built from source through the Go module proxy, once');
  await run('bash', [path.join(repoRoot(), 'scripts', 'go-tools.sh'), 'jaeger'], {
    what: 'building Jaeger from source (first time only; 10-15 minutes on 2 cores)',
    fix: 'check that the Go module proxy is reachable (go env GOPROXY) and retry, or run scripts/go-tools.sh jaeger by hand',
  });
  if (!fs.existsSync(bin)) throw new StackError(`scripts/go-tools.sh did not produce ${bin}`, 'run scripts/go-tools.sh jaeger by hand and read its output');
  return bin;
}

function configYaml(state: JaegerState): string {
  // JSON is valid YAML: the collector's config loader reads it as is.
  return JSON.stringify(
    {
      service: {
        extensions: ['jaeger_storage', 'jaeger_query'],
        pipelines: { traces: { receivers: ['otlp'], processors: ['batch'], exporters: ['jaeger_storage_exporter'] } },
        // The collector's own metrics default to 0.0.0.0:8888: off, so two stacks never collide.
        telemetry: { metrics: { level: 'none' }, logs: { level: 'info' } },
      },
      extensions: {
        jaeger_storage: { backends: { memstore: { memory: { max_traces: 50000 } } } },
        jaeger_query: {
          storage: { traces: 'memstore' },
          http: { endpoint: `127.0.0.1:${state.queryPort}` },
          grpc: { endpoint: `127.0.0.1:${state.queryGrpcPort}` },
        },
      },
      receivers: {
        otlp: { protocols: { grpc: { endpoint: `127.0.0.1:${state.otlpGrpcPort}` }, http: { endpoint: `127.0.0.1:${state.otlpHttpPort}` } } },
      },
      // A short batch timeout: tests look traces up a moment after the services export them.
      processors: { batch: { timeout: '200ms' } },
      exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    },
    null,
    2,
  );
}

/** Services the query API knows (proves the query side and the storage are up). */
async function services(port: number): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/services`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`/api/services: HTTP ${res.status}`);
  const body = (await res.json()) as { data?: string[] | null };
  return body.data ?? [];
}

export const jaegerServer: ServerModule<JaegerState> = {
  name: 'jaeger',

  async start(ctx: ServerContext, previous?: JaegerState): Promise<JaegerState> {
    const bin = await ensureBinary();
    // Memory storage: a restart keeps the ports, never the traces.
    fs.rmSync(ctx.dir, { recursive: true, force: true });
    fs.mkdirSync(ctx.dir, { recursive: true });
    const state: JaegerState =
      ctx.keepData && previous
        ? { ...previous, pids: [] }
        : {
            dir: ctx.dir,
            pids: [],
            logFiles: [path.join(ctx.dir, 'jaeger.log')],
            otlpGrpcPort: await portFromEnv('FLOODGATE_JAEGER_OTLP_GRPC_PORT', 'Jaeger OTLP gRPC receiver'),
            otlpHttpPort: await portFromEnv('FLOODGATE_JAEGER_OTLP_HTTP_PORT', 'Jaeger OTLP HTTP receiver'),
            queryPort: await portFromEnv('FLOODGATE_JAEGER_QUERY_PORT', 'Jaeger query HTTP'),
            queryGrpcPort: await portFromEnv('FLOODGATE_JAEGER_QUERY_GRPC_PORT', 'Jaeger query gRPC'),
          };
    const configFile = path.join(ctx.dir, 'jaeger.yaml');
    fs.writeFileSync(configFile, configYaml(state));
    const logFile = state.logFiles[0]!;
    const pid = startDaemon(bin, ['--config', configFile], { logFile, cwd: ctx.dir });
    state.pids = [pid];
    await waitFor('Jaeger', () => services(state.queryPort), { timeoutMs: 30000, pid, logFile });
    return state;
  },

  async stop(state: JaegerState): Promise<void> {
    for (const pid of state.pids) await stopDaemon(pid, 'SIGTERM', 10000);
  },

  async check(state: JaegerState): Promise<string> {
    if (!state.pids.some(isRunning)) throw new Error('not running');
    const known = await services(state.queryPort);
    return `Jaeger OTLP http://127.0.0.1:${state.otlpHttpPort} (gRPC 127.0.0.1:${state.otlpGrpcPort}), query http://127.0.0.1:${state.queryPort} (${known.length} service(s) traced)`;
  },

  env(state: JaegerState): Record<string, string> {
    return {
      // The OTLP/HTTP base URL: the exporter appends /v1/traces.
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${state.otlpHttpPort}`,
      FLOODGATE_JAEGER_QUERY_URL: `http://127.0.0.1:${state.queryPort}`,
    };
  },
};
