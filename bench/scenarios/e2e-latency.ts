/**
 * End-to-end latency (HTTP POST -> 202 -> row committed -> cache updated, for a probe event in every request, its
 * Redis entry polled) at fixed rates below two sustainable rates, both measured in this run (issue #4: p99 <= 250 ms
 * at half the sustainable rate):
 * - the pipeline's steady rate: the API and the worker running together on this machine, the highest fixed rate at
 *   which the latency stops growing (support/steady-rate.ts), searched down from a push as hard as they go (counted
 *   from the first request to the last row committed: an upper bound, since the push's backlog drains alone).
 *   BENCH_E2E_FRACTIONS of it, default a quarter and a half;
 * - the worker's drain rate alone (from `worker-drain` when it ran before in the same harness, else a shorter drain
 *   here), at one half. On 2 cores the API and the worker share the CPUs, so this rate is above what the pipeline
 *   sustains and the level shows a saturated machine; it is reported, and judged, all the same.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Redis from 'ioredis';
import pg from 'pg';
import { deviceKey, deviceOrderField, orderIsEvent } from '@floodgate/cache';
import { latencySummary } from '../harness/load';
import { withResources } from '../harness/resources';
import type { Ratio, ResultRow, Scenario } from '../harness/scenario';
import { benchToken, checkpoint, kafkaAdmin, runId, sleep, startApi } from '../harness/services';
import { formatPauses, processPauses } from './support/process-pauses';
import { workerBatching } from './support/worker-batching';
import { walPosition, walSince } from './support/wal-stats';
import { committedOffsets, drainRateOfThisRun, eventFactory, measureDrain, prefill, recordDrainRate, workerBed } from '../worker/drain-bed';
import { keptUp, searchSteadyRate } from './support/steady-rate';

const tickMs = 50;
/** The fixed rates, as fractions of the pipeline's steady rate: BENCH_E2E_FRACTIONS=0.1,0.5 (default 0.25,0.5). */
const fractions = (process.env.BENCH_E2E_FRACTIONS || '0.25,0.5')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
/**
 * Fixed rates in events/s, run after the fractions: BENCH_E2E_RATES=10000. Two runs whose steady rates differ then
 * still share a level, so a change can be compared at the same load (not judged against the target).
 */
const absoluteRates = (process.env.BENCH_E2E_RATES || '')
  .split(',')
  .filter((r) => r.trim() !== '')
  .map(Number);
const probeTimeoutMs = 30_000;
/** Closed-loop clients pushing 1,000-event requests while the pipeline's sustainable rate is measured. */
const pushClients = 4;
// Polling the probes costs Redis and CPU the measured pipeline shares (2 cores): every 5 ms is resolution enough for a 250 ms target.
const pollMs = 5;

const scenario: Scenario = {
  name: 'e2e-latency',
  description:
    "End-to-end latency (HTTP 202 -> row committed -> cache updated) at fixed rates of a quarter and half the pipeline's steady rate (searched in the run) and half the worker's drain rate alone, one API and one worker process.",
  needs: ['kafka', 'postgres', 'redis'],
  order: 60,
  run: (ctx) =>
    withResources(ctx.log, async (res) => {
      if (!fractions.length || fractions.some((f) => !(f > 0 && f <= 2)))
        throw new Error(`BENCH_E2E_FRACTIONS must be fractions in (0, 2] (got ${process.env.BENCH_E2E_FRACTIONS})`);
      if (absoluteRates.some((r) => !(Number.isInteger(r) && r >= 20 && r <= 1_000_000)))
        throw new Error(`BENCH_E2E_RATES must be whole events/s from 20 to 1000000 (got ${process.env.BENCH_E2E_RATES})`);
      const origin = Date.now();
      const originPerf = performance.now();
      const seconds = ctx.quick ? 8 : 20;
      /** Each rate the steady-rate search tries runs this long. */
      const searchSeconds = ctx.quick ? 5 : 10;
      const id = runId();
      const { kafka, admin } = await kafkaAdmin(res, ctx.stack);
      const bed = await workerBed(res, ctx.stack, admin, id);
      let reference = drainRateOfThisRun();
      const notes: string[] = [];
      if (reference) {
        ctx.log(`sustainable drain rate from ${reference.by} in this run: ${reference.eventsPerSec} events/s`);
        bed.startWorker();
      } else {
        const total = ctx.quick ? 30_000 : 200_000;
        ctx.log(`no drain measured in this run yet: draining ${total} pre-filled events first`);
        await prefill(kafka, bed.topic, total, eventFactory(total, 10_000, '0193a111-0000-7000-8000-'));
        const drain = await measureDrain(bed, admin, total, origin);
        recordDrainRate(drain.eventsPerSec, total, 'e2e-latency');
        reference = drainRateOfThisRun()!;
        ctx.log(`drain: ${drain.eventsPerSec} events/s`);
      }
      notes.push(
        `reference: the sustainable drain rate measured by ${reference.by} in this run (${reference.eventsPerSec} events/s over ${reference.events} events).`,
      );

      const api = await startApi(res, ctx.stack, { KAFKA_TOPIC_PREFIX: bed.prefix, REDIS_KEY_PREFIX: bed.prefix });
      const redis = new Redis(ctx.stack.REDIS_URL!);
      res.defer(() => redis.quit());
      const headers = { authorization: `Bearer ${await benchToken('gateway')}`, 'content-type': 'application/json' };
      let n = 0;
      const eventId = () => `0193b000-0000-7000-8000-${(++n).toString(16).padStart(12, '0')}`;

      // The pipeline is live end to end (the worker joined its group) before the clock runs.
      const warm = { eventId: eventId(), deviceId: `probe-warm-${id}`, ts: new Date().toISOString(), metrics: { rain_mm_h: 1 } };
      // A 503 is the API's retryable answer (it says so); a client retries the same event, and so does the warm-up.
      for (let attempt = 1; ; attempt++) {
        const warmRes = await fetch(`${api.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(warm) });
        const body = await warmRes.text();
        if (warmRes.status === 202) {
          if (attempt > 1) notes.push(`the warm-up event was accepted at attempt ${attempt} (earlier attempts got 503, retried as the API asks).`);
          break;
        }
        if (warmRes.status !== 503 || attempt >= 10) throw new Error(`the warm-up event got ${warmRes.status} at attempt ${attempt}: ${body}`);
        ctx.log(`warm-up event: 503 at attempt ${attempt}, retrying in 1 s: ${body}`);
        await sleep(1000);
      }
      for (let until = Date.now() + 120_000; ; await sleep(50)) {
        const json = await redis.hget(deviceKey(bed.prefix, warm.deviceId), 'state');
        if (json && (JSON.parse(json) as { eventId: string }).eventId === warm.eventId) break;
        if (Date.now() > until) throw new Error('the warm-up event did not reach the cache within 120 s');
      }

      // Series times in seconds since the scenario started (the fixed-rate loads start after the set-up).
      const at = (t: number) => Math.round((t - originPerf) / 100) / 10;

      /**
       * One fixed-rate level: every `tickMs`, the tick's events in requests of at most 1,000 (the API's batch limit),
       * the first event of each request a probe on a device of its own, polled in Redis.
       */
      /**
       * Waits until the worker has committed every event on the topic. A level's probes all being visible does not
       * mean its backlog is gone: the other partitions may still hold some, which would inflate the next level's start.
       */
      const caughtUp = async (ms = 300_000) => {
        const until = Date.now() + ms;
        for (;;) {
          const ends = (await admin.fetchTopicOffsets(bed.topic)).reduce((n, p) => n + Number(p.high), 0);
          const done = await committedOffsets(admin, bed.group, bed.topic);
          if (done !== undefined && done >= ends) return;
          if (Date.now() > until) throw new Error(`the worker had committed ${done ?? 'no'} of ${ends} events ${ms} ms after the level`);
          await sleep(100);
        }
      };

      let levels = 0;
      const level = async (rate: number, name: string, levelSeconds: number) => {
        await checkpoint(ctx.stack); // what earlier scenarios and levels wrote is flushed before, not during, this level
        const walStart = await walPosition(ctx.stack);
        const tag = ++levels;
        const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
        const requestsPerTick = Math.ceil(perTick / 1000);
        const perRequest = Math.ceil(perTick / requestsPerTick);
        const offered = Math.round((requestsPerTick * perRequest * 1000) / tickMs);
        ctx.log(
          `${name}: ${requestsPerTick} × ${perRequest} events every ${tickMs} ms (${offered} events/s) for ${levelSeconds} s from ${new Date().toISOString()}`,
        );
        const ackMs: number[] = [];
        const visibleMs: number[] = [];
        const ackSeries: Array<[number, number]> = [];
        const visibleSeries: Array<[number, number]> = [];
        /** [ms after the level started that the probe was sent, ms until it was visible]. */
        const probeLatencies: Array<[number, number]> = [];
        // The API's and the worker's event-loop delay and GC over the level (process-pauses.ts): this scrape resets
        // their loop-delay histograms.
        const scrape = () => Promise.all([api.metrics(), fetch(bed.metricsUrl).then((r) => r.text())]);
        const pausesBefore = await scrape();
        const levelStart = performance.now();
        // This client's own event-loop delay: a stall here delays sends and the probes' polls, and counts as latency.
        const clientLoop = monitorEventLoopDelay({ resolution: 10 });
        clientLoop.enable();
        const pending = new Map<string, { eventId: string; sent: number }>();
        let failures = 0;
        let lostProbes = 0;
        let polling = true;
        const poller = (async () => {
          while (polling || pending.size > 0) {
            const probes = [...pending.entries()];
            if (probes.length) {
              const pipeline = redis.pipeline();
              // The entry's short order field, not its state: the poll takes little of the CPU the pipeline shares.
              for (const [device] of probes) pipeline.hget(deviceKey(bed.prefix, device), deviceOrderField);
              const results = (await pipeline.exec()) ?? [];
              const now = performance.now();
              probes.forEach(([device, p], k) => {
                const order = results[k]?.[1] as string | null;
                if (orderIsEvent(order, p.eventId)) {
                  visibleMs.push(now - p.sent);
                  visibleSeries.push([at(p.sent), Math.round(now - p.sent)]);
                  probeLatencies.push([p.sent - levelStart, now - p.sent]);
                  pending.delete(device);
                } else if (now - p.sent > probeTimeoutMs) {
                  lostProbes += 1;
                  pending.delete(device);
                }
              });
            }
            await sleep(pollMs);
          }
        })();
        const sends: Promise<void>[] = [];
        let sentEvents = 0;
        const started = performance.now();
        for (let tick = 0; performance.now() - started < levelSeconds * 1000; tick++) {
          for (let q = 0; q < requestsPerTick; q++) {
            const events = Array.from({ length: perRequest }, (_, k) => ({
              eventId: eventId(),
              deviceId: k === 0 ? `probe-${id}-${tag}-${tick}-${q}` : `lat-${(tick * perTick + q * perRequest + k) % 10_000}`,
              ts: new Date().toISOString(),
              metrics: { rain_mm_h: 1 },
            }));
            sentEvents += events.length;
            const sent = performance.now();
            sends.push(
              fetch(`${api.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) }).then(
                async (r) => {
                  await r.arrayBuffer();
                  if (r.status !== 202) return void (failures += 1);
                  const now = performance.now();
                  ackMs.push(now - sent);
                  ackSeries.push([at(sent), Math.round(now - sent)]);
                  pending.set(events[0]!.deviceId, { eventId: events[0]!.eventId, sent });
                },
                () => void (failures += 1),
              ),
            );
          }
          await sleep(Math.max(0, started + (tick + 1) * tickMs - performance.now()));
        }
        const sendSeconds = (performance.now() - started) / 1000;
        await Promise.all(sends);
        polling = false;
        await poller;
        clientLoop.disable();
        await caughtUp();
        // After the backlog is gone, so the worker's figures cover every event of the level.
        const pausesAfter = await scrape();
        const apiPauses = processPauses(pausesBefore[0], pausesAfter[0]);
        const workerPauses = processPauses(pausesBefore[1], pausesAfter[1]);
        const batching = workerBatching(pausesBefore[1], pausesAfter[1]);
        // Before the next level's checkpoint, which may recycle the segments this level wrote.
        const wal = await walSince(ctx.stack, walStart).catch((err: Error) => {
          ctx.log(`no WAL figures for ${name}: ${err.message}`);
          return undefined;
        });
        if (visibleMs.length === 0) throw new Error(`no probe reached the cache at ${name} (${failures} failed requests, ${lostProbes} probes lost)`);
        const sentRate = Math.round(sentEvents / sendSeconds);
        const rows: ResultRow[] = [
          {
            label: `HTTP 202 at ${name}`,
            ceiling: false,
            throughput: { value: sentRate, unit: 'events/s' },
            latencyMs: latencySummary(ackMs),
            errors: failures,
            extra: { requests: sends.length, 'events/req': perRequest },
          },
          {
            label: `202 -> row -> cache at ${name}`,
            ceiling: false,
            throughput: { value: sentRate, unit: 'events/s' },
            latencyMs: latencySummary(visibleMs),
            errors: lostProbes,
            extra: {
              probes: visibleMs.length,
              'loop delay p99 / max, GC: API': formatPauses(apiPauses),
              worker: formatPauses(workerPauses),
              'this client': `${Math.round(clientLoop.percentile(99) / 1e6)} / ${Math.round(clientLoop.max / 1e6)} ms`,
              'events/transaction': batching.eventsPerTransaction,
              'devices written/event': batching.devicesPerEvent,
              ...(wal && {
                'WAL B/event': Math.round((wal.recordBytes + wal.fullPageBytes) / sentEvents),
                'full-page images': `${Math.round((100 * wal.fullPageBytes) / (wal.recordBytes + wal.fullPageBytes))} %`,
              }),
            },
          },
        ];
        ctx.log(
          `at ${sentRate} events/s: 202 p99 ${rows[0]!.latencyMs!.p99} ms, 202 -> cache p50 ${rows[1]!.latencyMs!.p50} ms p99 ${rows[1]!.latencyMs!.p99} ms`,
        );
        return {
          rows,
          sentRate,
          verdict: keptUp({ offered, sent: sentRate, failures, lostProbes, probes: probeLatencies }),
          visibleP99: rows[1]!.latencyMs!.p99,
          series: [
            { name: `HTTP 202 (${name})`, unit: 'ms', points: ackSeries.sort((a, b) => a[0] - b[0]) },
            { name: `202 -> cache (${name})`, unit: 'ms', points: visibleSeries.sort((a, b) => a[0] - b[0]) },
          ],
        };
      };

      /**
       * The pipeline's sustainable rate: `pushClients` clients send 1,000-event requests back to back for `seconds`;
       * the rate is the events accepted over the time from the first request to the last of them committed (rows
       * counted in the worker's database), so a backlog the worker drains after the push counts against it.
       */
      const pipelineRate = async () => {
        await checkpoint(ctx.stack);
        const db = new pg.Client({ connectionString: bed.databaseUrl });
        await db.connect();
        res.defer(() => db.end());
        const rows = async () => Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0]!.n);
        const before = await rows();
        let accepted = 0;
        let refused = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: pushClients }, async () => {
            while (performance.now() - started < seconds * 1000) {
              const events = Array.from({ length: 1000 }, (_, k) => ({
                eventId: eventId(),
                deviceId: `lat-${(n + k) % 10_000}`,
                ts: new Date().toISOString(),
                metrics: { rain_mm_h: 1 },
              }));
              const r = await fetch(`${api.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify({ events }) }).catch(() => undefined);
              await r?.arrayBuffer();
              if (r?.status === 202) accepted += events.length;
              else refused += 1; // a 503 is backpressure: the push goes on
            }
          }),
        );
        const pushSeconds = (performance.now() - started) / 1000;
        for (const until = Date.now() + 300_000; (await rows()) < before + accepted; await sleep(50))
          if (Date.now() > until) throw new Error(`the worker had not stored the ${accepted} pushed events 300 s after the push`);
        const untilCommitted = (performance.now() - started) / 1000;
        const eventsPerSec = Math.round(accepted / untilCommitted);
        ctx.log(
          `pipeline: ${accepted} events accepted in ${pushSeconds.toFixed(1)} s (${refused} refused), all committed after ${untilCommitted.toFixed(1)} s: ${eventsPerSec} events/s`,
        );
        return { eventsPerSec, accepted, refused, acceptRate: Math.round(accepted / pushSeconds), seconds: untilCommitted };
      };
      const pipeline = await pipelineRate();
      notes.push(
        `pipeline: ${pushClients} clients pushed 1,000-event requests for ${seconds} s: ${pipeline.accepted} events accepted (${pipeline.acceptRate} events/s at the API, ${pipeline.refused} requests refused with 503), the last committed ${pipeline.seconds.toFixed(1)} s after the first request.`,
      );

      // The steady rate: fixed rates from the push's down (support/steady-rate.ts), every one tried a row.
      const searched: ResultRow[] = [];
      const steady = await searchSteadyRate(pipeline.eventsPerSec, async (rate) => {
        const l = await level(rate, `steady-rate search at ${rate} events/s`, searchSeconds);
        ctx.log(`  ${l.verdict.keptUp ? 'kept up' : 'fell behind'}: ${l.verdict.reason}`);
        searched.push({
          ...l.rows[1]!,
          label: `search: 202 -> cache at ${rate} events/s, ${l.verdict.keptUp ? 'kept up' : 'fell behind'}`,
          extra: { ...l.rows[1]!.extra, verdict: l.verdict.reason },
        });
        return l.verdict;
      });
      ctx.log(`steady rate: ${steady.rate} events/s (${steady.steps.length} rates tried)`);

      // A level returns once the worker has committed all it was sent, so no level starts with another's backlog. The
      // lower fixed rates first all the same; the worker-alone level last.
      const ofSteady = { eventsPerSec: steady.rate, name: 'steady pipeline rate' };
      const ofDrain = { eventsPerSec: reference.eventsPerSec, name: 'drain rate alone' };
      /** Each level's rate, its name, and its ratio (judged against the target only at the halves). */
      const plan: Array<{ rate: number; name: string; ratio: string; judged: boolean }> = [
        ...fractions.map((fraction) => ({ fraction, of: ofSteady })),
        { fraction: 0.5, of: ofDrain },
      ].map(({ fraction, of }) => ({
        rate: Math.max(1, Math.round(of.eventsPerSec * fraction)),
        name: `${fraction * 100} % of ${of.name}`,
        ratio: fraction === 0.5 ? `half the ${of.name}` : `${fraction * 100} % of the ${of.name}`,
        judged: fraction === 0.5,
      }));
      // The absolute rates before the worker-alone level, the highest.
      plan.splice(
        -1,
        0,
        ...absoluteRates.map((rate) => ({ rate, name: `${rate} events/s fixed`, ratio: `${rate} events/s (BENCH_E2E_RATES)`, judged: false })),
      );
      const results: Array<Awaited<ReturnType<typeof level>> & (typeof plan)[number]> = [];
      for (const step of plan) results.push({ ...step, ...(await level(step.rate, step.name, seconds)) });
      const rows: ResultRow[] = [
        {
          label: 'pipeline push, API + worker (upper bound of the search)',
          ceiling: true,
          throughput: { value: pipeline.eventsPerSec, unit: 'events/s' },
          extra: { 'measured by': 'e2e-latency' },
        },
        {
          label: 'pipeline steady rate, API + worker',
          ceiling: true,
          throughput: { value: steady.rate, unit: 'events/s' },
          extra: { 'measured by': 'e2e-latency' },
        },
        {
          label: 'worker drain rate alone',
          ceiling: true,
          throughput: { value: reference.eventsPerSec, unit: 'events/s' },
          extra: { 'measured by': reference.by },
        },
        ...searched,
        ...results.flatMap((r) => r.rows),
      ];
      const ratios: Ratio[] = results.map((r) => ({
        name: `202 -> cache p99 at ${r.ratio}`,
        value: r.visibleP99,
        ...(r.judged && { target: 250 }),
        comparison: '<=',
        unit: 'ms',
      }));
      ratios.push({ name: 'pipeline steady rate / pipeline push', value: steady.rate / pipeline.eventsPerSec });
      ratios.push({ name: 'pipeline steady rate / worker drain rate alone', value: steady.rate / reference.eventsPerSec });
      return {
        scenario: 'e2e-latency',
        description: scenario.description,
        rows,
        ratios,
        series: results.flatMap((r) => r.series),
        notes: [
          ...notes,
          `steady rate: the highest fixed rate at which the pipeline kept up, tried for ${searchSeconds} s each from the push's rate down by a factor of 0.8, then once between the first that kept up and the one above it; a rate kept up when no request was refused, no probe lost, 95 % of the rate sent, and the median latency of the probes sent in the level's second half (the first second left out) at most 1.25 times the first half's plus 50 ms (a backlog growing for the whole level more than doubles it; one that builds and then holds, as the worker's batches grow with it, counts as kept up, its latency shown in the row).`,
          `fixed rates of ${fractions.map((f) => `${f * 100} %`).join(', ')} of the steady rate (BENCH_E2E_FRACTIONS), ${absoluteRates.length ? `${absoluteRates.join(', ')} events/s (BENCH_E2E_RATES), ` : ''}then 50 % of the worker's drain rate alone, ${seconds} s each; the issue's target (p99 <= 250 ms at half the sustainable rate) is judged at both halves; every ${tickMs} ms the tick's events in requests of at most 1,000, the first event of each request a probe on a device of its own, polled in Redis every ~${pollMs} ms (the resolution); a probe not visible within ${probeTimeoutMs / 1000} s counts as an error.`,
          'one API process and one worker process on their own topics, database and cache prefix; the row is committed before the worker writes the cache, so a visible probe is also a stored row. A CHECKPOINT on the primary precedes each level, and each ends once the worker has committed every event on the topic (its backlog gone).',
        ],
      };
    }),
};

export default scenario;
