/**
 * What tracing costs the ingest path: the real API (started with the register preload, as in production) under
 * autocannon, with the SDK off, sampling 10% and sampling everything, exporting to the devstack Jaeger.
 *   eval "$(npm run -s stack -- env)" && npx tsx packages/telemetry/test/bench/tracing-overhead.ts
 * (needs a stack with kafka, postgres, redis and jaeger; short: about a minute.)
 */
import autocannon from 'autocannon';
import { mintToken } from '../../../../services/api/src/auth/mint-token';
import { startService } from '../support/service-process';

const secret = 'bench-telemetry-secret-0123456789abcdef';
const jwt = { JWT_SECRET: secret, JWT_ISSUER: 'bench', JWT_AUDIENCE: 'bench-api', HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '10000000' };

async function measure(label: string, env: Record<string, string>): Promise<void> {
  const api = await startService(`bench-api-${label}`, 'services/api/src/main.ts', { portVariable: 'PORT', env: { ...jwt, ...env } });
  try {
    const token = await mintToken({ secret, issuer: 'bench', audience: 'bench-api', subject: 'bench-gw', role: 'gateway' });
    const body = JSON.stringify({ deviceId: 'bench-dev-1', ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } });
    const options = {
      url: `${api.url}/v1/events`,
      method: 'POST' as const,
      connections: 10,
      duration: 10,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    };
    await autocannon({ ...options, duration: 3 }); // warm-up: JIT, connections, the first Kafka batches
    const r = await autocannon(options);
    process.stdout.write(
      `${JSON.stringify({ label, rps: r.requests.average, p50_ms: r.latency.p50, p99_ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors })}\n`,
    );
  } finally {
    await api.stop();
  }
}

async function main(): Promise<void> {
  await measure('sdk-off', { OTEL_SDK_DISABLED: 'true' });
  await measure('ratio-0.1', { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
  await measure('always-on', {});
}

main().catch((err: Error) => {
  process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
