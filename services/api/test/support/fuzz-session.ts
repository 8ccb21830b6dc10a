/**
 * One fuzz session against the live API, shared by the fuzz test and `npm run fuzz`: the API as its own process
 * (with the heap probe) on Kafka topics of its own, credentials of every role (JWTs and API keys), a warm-up, then
 * rounds of the fuzzer with the heap sampled after a forced GC after each, then every accepted event looked up in
 * Kafka. Cleans up what it made (process, topics, alert rules). Needs the stack's environment (KAFKA_BROKERS,
 * DATABASE_URL, ...), as Jest's global setup or the CLI provide it.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createApiKey } from '../../src/auth/api-keys';
import { mintToken } from '../../src/auth/mint-token';
import type { Role } from '../../src/auth/principal';
import { startApiProcess, type HeapSample } from './api-process';
import { audience, issuer, testSecret } from './api-under-test';
import { compareWithKafka, documentedRoutes, Fuzzer, type FuzzCredential, type FuzzReport } from './fuzzer';
import { createIsolatedTopics, readAll } from './kafka-topics';

export interface FuzzSessionOptions {
  seconds: number;
  seed: number;
  /** Measured rounds after the warm-up (the heap is sampled after each). */
  rounds?: number;
  concurrency?: number;
  log?: (line: string) => void;
}

export interface FuzzSummary {
  seed: number;
  seconds: number;
  requests: number;
  byStatus: Record<string, number>;
  unavailable503: number;
  undeterminedIngest: number;
  violations: FuzzReport['violations'];
  /** How the API process had exited before the session stopped it, if it had. */
  exitedDuringRun: { code: number | null; signal: string | null } | null;
  gcForced: boolean;
  heapMiB: { afterWarmUp: number; rounds: number[] };
  rssMiB: { afterWarmUp: number; rounds: number[] };
  acceptedEvents: number;
  kafkaMessages: number;
  missing: number;
  changed: number;
  unexpected: number;
  changedExamples: { expected: string; stored: string }[];
  missingExamples: string[];
  byLabel: Record<string, number>;
}

const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

/** What a session must show; empty when it passed. The test asserts the same conditions one by one. */
export function failures(s: FuzzSummary): string[] {
  const out: string[] = [];
  if (s.exitedDuringRun) out.push(`the API process exited during the run (${JSON.stringify(s.exitedDuringRun)})`);
  if (s.violations.length) out.push(`${s.violations.length} responses broke the rules (5xx, a 4xx without a problem body, a stack trace, no answer)`);
  const later = s.heapMiB.rounds.slice(Math.floor(s.heapMiB.rounds.length / 2));
  if (Math.max(...later) > s.heapMiB.afterWarmUp * 1.2)
    out.push(`the heap grew more than 20%: ${s.heapMiB.afterWarmUp} MiB after warm-up, ${later.join(', ')} MiB later`);
  if (s.acceptedEvents === 0) out.push('no event was accepted, so Kafka was not checked');
  if (s.missing) out.push(`${s.missing} accepted events are not in Kafka`);
  if (s.changed) out.push(`${s.changed} accepted events are in Kafka but not as sent`);
  if (s.undeterminedIngest === 0 && s.unexpected) out.push(`${s.unexpected} events are in Kafka that no 202 accepted`);
  return out;
}

export async function fuzzLiveApi(opts: FuzzSessionOptions): Promise<FuzzSummary> {
  const rounds = opts.rounds ?? 4;
  const log = opts.log ?? (() => undefined);
  const devicePrefix = `fuzz-${process.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const topics = await createIsolatedTopics('fuzz', 6);
  const db = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
  let fuzzer: Fuzzer | undefined;
  const api = await startApiProcess({
    heapProbe: true,
    env: { KAFKA_TOPIC_PREFIX: topics.prefix, RATE_LIMIT_PER_MINUTE: '100000000', LOG_LEVEL: 'error', API_KEY_CACHE_TTL_MS: '5000' },
  }).catch(async (err) => {
    await db.end();
    await topics.remove();
    throw err;
  });
  try {
    const token = (subject: string, role: Role) => mintToken({ secret: testSecret, issuer, audience, subject, role });
    const credentials: FuzzCredential[] = [{ role: 'device', subject: `${devicePrefix}-0`, kind: 'bearer', value: await token(`${devicePrefix}-0`, 'device') }];
    for (const role of ['gateway', 'viewer', 'operator', 'admin'] as const)
      credentials.push({ role, subject: `fuzz-${role}`, kind: 'bearer', value: await token(`fuzz-${role}`, role) });
    for (const [role, subject] of [
      ['device', `${devicePrefix}-1`],
      ['gateway', 'fuzz-gateway-key'],
    ] as const) {
      credentials.push({ role, subject, kind: 'apiKey', value: (await createApiKey(db, { name: 'fuzz', subject, role })).key });
    }
    fuzzer = new Fuzzer(
      { url: api.url, port: api.port, credentials, devicePrefix, ruleSelector: `${devicePrefix}-*`, routes: await documentedRoutes(api.url) },
      opts.seed,
    );
    log(`fuzzing ${api.url} (pid ${api.pid}) for ${opts.seconds} s, seed ${opts.seed}`);
    await fuzzer.run(Math.max(3000, opts.seconds * 200), opts.concurrency);
    const warm = await api.heap();
    log(`warm-up: ${fuzzer.result.requests} requests, heap ${mib(warm.heapUsed)} MiB`);
    const samples: HeapSample[] = [];
    for (let i = 0; i < rounds; i++) {
      await fuzzer.run((opts.seconds * 800) / rounds, opts.concurrency);
      samples.push(await api.heap());
      log(
        `round ${i + 1}/${rounds}: ${fuzzer.result.requests} requests, ${fuzzer.result.violations.length} violations, heap ${mib(samples.at(-1)!.heapUsed)} MiB`,
      );
    }
    const exitedDuringRun = api.exit() ?? null;
    const report = fuzzer.result;
    const messages = await readAll(topics.events);
    const kafka = compareWithKafka(report.accepted, messages);
    return {
      seed: opts.seed,
      seconds: opts.seconds,
      requests: report.requests,
      byStatus: report.byStatus,
      unavailable503: report.unavailable,
      undeterminedIngest: report.undeterminedIngest,
      violations: report.violations,
      exitedDuringRun,
      gcForced: warm.gcForced,
      heapMiB: { afterWarmUp: mib(warm.heapUsed), rounds: samples.map((s) => mib(s.heapUsed)) },
      rssMiB: { afterWarmUp: mib(warm.rss), rounds: samples.map((s) => mib(s.rss)) },
      acceptedEvents: report.accepted.length,
      kafkaMessages: messages.length,
      missing: kafka.missing.length,
      changed: kafka.changed.length,
      unexpected: kafka.unexpected,
      changedExamples: kafka.changed.slice(0, 5),
      missingExamples: kafka.missing.slice(0, 5).map((m) => m.canonical.slice(0, 300)),
      byLabel: report.byLabel,
    };
  } finally {
    await api.stop();
    const rules = fuzzer?.result.createdRules ?? [];
    if (rules.length) await db.query('DELETE FROM alert_rules WHERE id = ANY($1::uuid[])', [rules]);
    await db.end();
    await topics.remove();
  }
}

/** Writes the summary where `make test` keeps its results; returns the path. */
export function writeFuzzSummary(summary: FuzzSummary, name = 'api-fuzz.json'): string {
  const out = path.resolve(__dirname, '../../../../.floodgate/test-results', name);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  return out;
}
