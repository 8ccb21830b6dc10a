/**
 * Batch ingest: POST /v1/events with 100 events per request at 64 and 256 connections, in events/s, against the
 * broker's own ceiling in the same run — Kafka's ProducerPerformance from the stack's jars, same record size,
 * acks=all and idempotence, into a topic with the same 12 partitions (issue #3: batch >= 50 % of it).
 */
import { batchBodies, recordSize } from '../api/sample-events';
import { producerPerformance, producerPerformanceRow } from '../harness/ceilings';
import { httpLoad, ingestWarmUpSeconds } from '../harness/load';
import { withResources } from '../harness/resources';
import type { Ratio, ResultRow, Scenario } from '../harness/scenario';
import { benchToken, createTopics, kafkaAdmin, runId, startApi } from '../harness/services';

const connectionLevels = [64, 256];

const scenario: Scenario = {
  name: 'ingest-batch',
  description:
    'Batch ingest (100 events per request) at 64 and 256 connections, in events/s, vs Kafka ProducerPerformance with the same record size, acks=all, idempotent.',
  needs: ['kafka', 'postgres', 'redis'],
  order: 20,
  run: (ctx) =>
    withResources(ctx.log, async (res) => {
      const prefix = `bench-${runId()}`;
      const { admin } = await kafkaAdmin(res, ctx.stack);
      const topics = await createTopics(res, admin, prefix);
      const api = await startApi(res, ctx.stack, { KAFKA_TOPIC_PREFIX: prefix, REDIS_KEY_PREFIX: prefix });
      const headers = { authorization: `Bearer ${await benchToken('gateway')}`, 'content-type': 'application/json' };
      const bodies = batchBodies(100);
      const warmUp = ingestWarmUpSeconds(ctx.quick);
      ctx.log(`warm-up: ${warmUp} s at ${connectionLevels[0]} connections (the API's and the broker's JIT; not reported)`);
      await httpLoad({
        label: 'warm-up',
        url: `${api.url}/v1/events`,
        method: 'POST',
        connections: connectionLevels[0]!,
        seconds: warmUp,
        headers,
        bodies,
        eventsPerRequest: 100,
      });

      const rows: ResultRow[] = [];
      for (const connections of connectionLevels) {
        await api.drained();
        const row = await httpLoad({
          label: `floodgate batch100 c=${connections}`,
          url: `${api.url}/v1/events`,
          method: 'POST',
          connections,
          seconds: ctx.seconds,
          headers,
          bodies,
          eventsPerRequest: 100,
        });
        ctx.log(`c=${connections}: ${row.throughput!.value} events/s`);
        rows.push(row);
      }
      await api.drained();

      // The broker ceiling, into the same 12-partition topic while the API is idle (its producer drained).
      const size = recordSize();
      const records = ctx.quick ? 150_000 : 500_000;
      ctx.log(`ProducerPerformance: ${records} records of ${size} bytes, acks=all, idempotent`);
      const pp = await producerPerformance(res, ctx.stack, { topic: topics.events, records, recordSize: size, timeoutMs: 180_000 });
      ctx.log(pp.line);
      const ceiling = producerPerformanceRow(pp, size);
      rows.push(ceiling);
      const ratios: Ratio[] = rows
        .filter((r) => !r.ceiling)
        .map((r) => ({ name: `${r.label} / ProducerPerformance (events/s)`, value: r.throughput!.value / pp.recordsPerSec, target: 0.5 }));
      return {
        scenario: 'ingest-batch',
        description: scenario.description,
        rows,
        ratios,
        notes: [
          `autocannon, ${ctx.seconds} s per level after ${warmUp} s of unreported warm-up at ${connectionLevels[0]} connections, 50 distinct bodies of 100 events round-robin; throughput in events/s (2xx answers × 100).`,
          `ceiling: org.apache.kafka.tools.ProducerPerformance --num-records ${records} --record-size ${size} --throughput -1 acks=all enable.idempotence=true, into a 12-partition topic like the API's; its latencies are per record (send to acknowledgement), not per HTTP request.`,
        ],
      };
    }),
};

export default scenario;
