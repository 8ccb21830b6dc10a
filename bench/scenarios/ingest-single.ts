/**
 * Single-event ingest: POST /v1/events with one event per request at 64 and 256 connections, each level next to its
 * ceiling at the same connections — a bare Express 5 handler that answers 202 without reading the body (issue #3:
 * single-event >= 50 % of the bare ceiling). Every 202 means Kafka acknowledged the event (acks=all, idempotent).
 */
import { singleBodies } from '../api/sample-events';
import { httpLoad, ingestWarmUpSeconds } from '../harness/load';
import { withResources } from '../harness/resources';
import type { Ratio, ResultRow, Scenario } from '../harness/scenario';
import { benchToken, createTopics, kafkaAdmin, runId, startApi, startBareExpress } from '../harness/services';

const connectionLevels = [64, 256];

const scenario: Scenario = {
  name: 'ingest-single',
  description: 'Single-event ingest (POST /v1/events, one event per request) at 64 and 256 connections vs a bare Express 5 handler answering 202.',
  needs: ['kafka', 'postgres', 'redis'],
  order: 10,
  run: (ctx) =>
    withResources(ctx.log, async (res) => {
      const prefix = `bench-${runId()}`;
      const { admin } = await kafkaAdmin(res, ctx.stack);
      await createTopics(res, admin, prefix);
      const api = await startApi(res, ctx.stack, { KAFKA_TOPIC_PREFIX: prefix, REDIS_KEY_PREFIX: prefix });
      const bare = await startBareExpress(res);
      const headers = { authorization: `Bearer ${await benchToken('gateway')}`, 'content-type': 'application/json' };
      const bodies = singleBodies();
      // Both processes of the comparison warmed alike: the API (with the broker behind it) and the bare ceiling.
      const warmUp = ingestWarmUpSeconds(ctx.quick);
      ctx.log(
        `warm-up: ${warmUp} s each for the API and bare Express at ${connectionLevels[0]} connections (JIT, Kafka connections and metadata; not reported)`,
      );
      await httpLoad({ label: 'warm-up', url: `${api.url}/v1/events`, method: 'POST', connections: connectionLevels[0]!, seconds: warmUp, headers, bodies });
      await httpLoad({ label: 'warm-up', url: `${bare.url}/v1/events`, method: 'POST', connections: connectionLevels[0]!, seconds: warmUp, headers, bodies });

      const rows: ResultRow[] = [];
      const ratios: Ratio[] = [];
      for (const connections of connectionLevels) {
        await api.drained();
        const ceiling = await httpLoad({
          label: `bare express 202 c=${connections}`,
          ceiling: true,
          url: `${bare.url}/v1/events`,
          method: 'POST',
          connections,
          seconds: ctx.seconds,
          headers,
          bodies,
        });
        const measured = await httpLoad({
          label: `floodgate single c=${connections}`,
          url: `${api.url}/v1/events`,
          method: 'POST',
          connections,
          seconds: ctx.seconds,
          headers,
          bodies,
        });
        ctx.log(`c=${connections}: ${measured.throughput!.value} req/s vs bare ${ceiling.throughput!.value} req/s`);
        rows.push(ceiling, measured);
        ratios.push({
          name: `single-event c=${connections} / bare Express c=${connections}`,
          value: measured.throughput!.value / ceiling.throughput!.value,
          target: 0.5,
        });
      }
      await api.drained();
      return {
        scenario: 'ingest-single',
        description: scenario.description,
        rows,
        ratios,
        notes: [
          `autocannon from the harness process, ${ctx.seconds} s per level after ${warmUp} s of unreported warm-up of each server at ${connectionLevels[0]} connections, 1,000 distinct bodies round-robin over 500 devices; one API process (rate limit raised out of the way).`,
          'Throughput counts 2xx answers only; a 202 is given after Kafka acknowledged the event (acks=all, idempotent producer).',
        ],
      };
    }),
};

export default scenario;
