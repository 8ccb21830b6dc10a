import type { KafkaMessage } from 'kafkajs';
import { encodeEventMessage, headerNames } from '@floodgate/events';
import { makeEvent, readingCounts, spawnWorker, uncommitted, useWorkerTestBed, waitFor, workerEnv } from '../support/worker-fixture';

jest.setTimeout(120000);

const prefix = `wk-poison-${process.pid}`;
const bed = useWorkerTestBed(prefix, 'worker_poison');

async function readDlq(expected: number): Promise<KafkaMessage[]> {
  const consumer = bed.kafka.consumer({ groupId: `${prefix}-dlq-reader` });
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}.events.dlq`, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void got.push(message) });
  try {
    await waitFor(() => got.length >= expected, 30000, `${expected} DLQ messages`);
    return got;
  } finally {
    await consumer.disconnect();
  }
}

describe('a poison message', () => {
  it('goes to the DLQ with the error, source and attempt headers, and the events after it in its partition are stored', async () => {
    const base = Date.parse('2026-11-22T18:00:00Z');
    const device = 'ridge-7'; // one key: everything below is in one partition, in this order
    const before = Array.from({ length: 50 }, (_, i) => makeEvent(device, new Date(base + i * 1000), { rain_mm_h: 1 }));
    const after = Array.from({ length: 50 }, (_, i) => makeEvent(device, new Date(base + (100 + i) * 1000), { rain_mm_h: 2 }));
    const topic = `${prefix}.events`;
    const good = (e: (typeof before)[number]) => encodeEventMessage(e, Date.now(), 'test');
    // Valid JSON but not an event, not JSON at all, and a value PostgreSQL refuses (\u0000 in jsonb) that passes the schema.
    const nul = { ...makeEvent(device, new Date(base + 60000), { rain_mm_h: 3 }), payload: { note: 'bad\u0000byte' } };
    const poison = [
      { key: device, value: JSON.stringify({ hello: 'world' }) },
      { key: device, value: '{not json' },
      { key: device, value: JSON.stringify(nul), headers: { [headerNames.ingestTime]: String(Date.now()) } },
    ];
    await bed.producer.send({ topic, acks: -1, messages: [...before.map(good), ...poison, ...after.map(good)] });

    const worker = spawnWorker(workerEnv(prefix, bed.db.url));
    await waitFor(async () => (await uncommitted(bed.kafka, `${prefix}-worker`, topic)) === 0, 60000, 'every offset to be committed');
    expect(await worker.stop()).toBe(0);
    expect(await readingCounts(bed.db.url)).toEqual({ rows: 100, distinct: 100 });

    const dlq = await readDlq(3);
    expect(dlq).toHaveLength(3);
    const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();
    const offsets = dlq.map((m) => Number(header(m, headerNames.sourceOffset))).sort((a, b) => a - b);
    expect(offsets).toEqual([50, 51, 52]);
    for (const m of dlq) {
      expect(header(m, headerNames.sourceTopic)).toBe(topic);
      expect(Number(header(m, headerNames.sourcePartition))).toBeGreaterThanOrEqual(0);
      expect(header(m, headerNames.error)).toBeTruthy();
      expect(Number(header(m, headerNames.attempts))).toBeGreaterThanOrEqual(1);
      expect(Number.isNaN(Date.parse(header(m, headerNames.firstSeen) ?? ''))).toBe(false);
      expect(m.key?.toString()).toBe(device);
    }
    const classes = dlq.map((m) => header(m, headerNames.errorClass)).sort();
    expect(classes).toEqual(['pg_data_exception', 'poison_message', 'poison_message']);
    // The original value travels unchanged, so it can be inspected and replayed.
    expect(dlq.map((m) => m.value?.toString())).toContain('{not json');
  });
});
