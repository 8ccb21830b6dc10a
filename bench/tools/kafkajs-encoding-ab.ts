/**
 * Compares two copies of kafkajs encoding the same produce request, in one process, taking turns (a noisy machine
 * slows both alike). Checks first that both write the same bytes. Used to measure changes to patches/kafkajs+2.2.4.patch:
 *
 *   mkdir -p /tmp/kafkajs-before/node_modules && cp -r node_modules/kafkajs /tmp/kafkajs-before/node_modules/
 *   cd /tmp/kafkajs-before && patch -R -p1 < $OLDPWD/patches/kafkajs+2.2.4.patch      # upstream 2.2.4
 *   git -C $OLDPWD show <rev>:patches/kafkajs+2.2.4.patch | patch -p1                  # the patch as of <rev>
 *   cd - && npx tsx bench/tools/kafkajs-encoding-ab.ts /tmp/kafkajs-before/node_modules/kafkajs [records per request]
 *
 * The messages have the API's shape: a JSON event of about 190 bytes, its deviceId as key and five headers, one
 * frozen headers object shared by all of them.
 */
import path from 'node:path';

type EncodeRequest = (args: object) => { encode(): Promise<{ buffer: Buffer }> };
const producePath = 'src/protocol/requests/produce/v3/request';

function loadRequest(kafkajsDir: string): EncodeRequest {
  return require(path.join(kafkajsDir, producePath)) as EncodeRequest;
}

async function main(): Promise<void> {
  const other = process.argv[2];
  if (!other) throw new Error('usage: tsx bench/tools/kafkajs-encoding-ab.ts <another kafkajs directory> [records per request]');
  const records = Number(process.argv[3] ?? 1000);
  const versions: Record<string, EncodeRequest> = {
    [other]: loadRequest(path.resolve(other)),
    'node_modules/kafkajs': loadRequest(path.dirname(require.resolve('kafkajs/package.json'))),
  };
  const t = 1795000000000; // fixed timestamps: the bytes do not depend on the clock
  // One frozen headers object for all messages, as the API shares one per request (@floodgate/events).
  const headers = Object.freeze({
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    'floodgate-schema': 'floodgate.event.v1',
    'content-type': 'application/json',
    'floodgate-ingest-time': String(t),
    'floodgate-principal': 'gateway:bench',
  });
  const messages = Array.from({ length: records }, (_, i) => ({
    key: `device-${i % 500}`,
    timestamp: t,
    value: JSON.stringify({
      eventId: `0193b000-0000-7000-8000-${String(i).padStart(12, '0')}`,
      deviceId: `device-${i % 500}`,
      ts: new Date(t).toISOString(),
      metrics: { rain_mm_h: 12.5, soil_moisture: 0.31, tilt_deg: 0.2 },
    }),
    headers,
  }));
  const partitions = Array.from({ length: 12 }, (_, p) => ({ partition: p, firstSequence: 0, messages: messages.filter((_, i) => i % 12 === p) })).filter(
    (p) => p.messages.length > 0,
  );
  const encode = (request: EncodeRequest) =>
    request({ acks: -1, timeout: 30000, compression: 0, topicData: [{ topic: 'bench.events', partitions }], producerId: 5, producerEpoch: 0 }).encode();

  const [a, b] = await Promise.all(Object.values(versions).map(async (v) => (await encode(v)).buffer));
  if (!a!.equals(b!)) throw new Error('the two versions encode different bytes');
  const perRecord: Record<string, number[]> = Object.fromEntries(Object.keys(versions).map((k) => [k, []]));
  const rounds = Math.ceil(200_000 / records);
  for (let round = 0; round < 12; round++) {
    const order = round % 2 ? Object.keys(versions) : Object.keys(versions).reverse();
    for (const name of order) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) await encode(versions[name]!);
      // The first two rounds warm the JIT and are not counted.
      if (round >= 2) perRecord[name]!.push(Number(process.hrtime.bigint() - started) / rounds / records / 1000);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
  console.log(`${records} records a request, ${a!.length} bytes, identical in both; µs per record, median of 10 rounds:`);
  for (const [name, xs] of Object.entries(perRecord)) console.log(`  ${median(xs).toFixed(2)}  ${name}`);
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exit(1);
});
