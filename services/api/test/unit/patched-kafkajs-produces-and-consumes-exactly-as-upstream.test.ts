/**
 * patches/kafkajs+2.2.4.patch speeds up kafkajs's record encoding (no zero-filled buffer per record and header, no
 * array and Buffer.from per varint, varlongs without Long objects). The bytes on the wire must not change: the
 * golden values below were produced by the unpatched kafkajs 2.2.4, and the varints are checked against an
 * independent BigInt implementation of Kafka's zigzag LEB128.
 */
import crypto from 'node:crypto';
import fc from 'fast-check';

const Encoder = require('kafkajs/src/protocol/encoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C');
const RecordDecoder = require('kafkajs/src/protocol/recordBatch/record/v0/decoder');
const murmur2 = require('kafkajs/src/producer/partitioners/default/murmur2');
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition');
const Long = require('kafkajs/src/utils/long');

/** Upstream kafkajs 2.2.4's murmur2 on its BigInt-backed Long, step for step: the reference for the 32-bit version. */
function upstreamMurmur2(key: string | Buffer): number {
  const SEED = Long.fromValue(0x9747b28c);
  const M = Long.fromValue(0x5bd1e995);
  const R = Long.fromValue(24);
  const data = Buffer.isBuffer(key) ? key : Buffer.from(String(key));
  const length = data.length;
  let h = Long.fromValue(SEED.xor(length));
  const length4 = Math.floor(length / 4);
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = Long.fromValue((data[i4 + 0]! & 0xff) + ((data[i4 + 1]! & 0xff) << 8) + ((data[i4 + 2]! & 0xff) << 16) + ((data[i4 + 3]! & 0xff) << 24));
    k = k.multiply(M);
    k = k.xor(k.toInt() >>> R);
    k = Long.fromValue(k).multiply(M);
    h = h.multiply(M);
    h = h.xor(k);
  }
  // upstream's switch with fall-through, as ifs
  const tail = length % 4;
  if (tail >= 3) h = h.xor((data[(length & ~3) + 2]! & 0xff) << 16);
  if (tail >= 2) h = h.xor((data[(length & ~3) + 1]! & 0xff) << 8);
  if (tail >= 1) {
    h = h.xor(data[length & ~3]! & 0xff);
    h = h.multiply(M);
  }
  h = h.xor(h.toInt() >>> 13);
  h = h.multiply(M);
  h = h.xor(h.toInt() >>> 15);
  return h.toInt();
}

/** Upstream kafkajs 2.2.4's header merge (its expression, typed): the reference for the patched loop. */
function upstreamHeaders(pairs: { key: string; value: Buffer }[]): Record<string, unknown> {
  return pairs.reduce<Record<string, unknown>>(
    (obj, { key, value }) => ({
      ...obj,
      [key]: obj[key] === undefined ? value : Array.isArray(obj[key]) ? (obj[key] as unknown[]).concat([value]) : [obj[key], value],
    }),
    {},
  );
}

type RecordFields = { key?: unknown; value?: unknown; headers?: Record<string, unknown>; timestampDelta: number; offsetDelta: number };

/**
 * Upstream kafkajs 2.2.4's record encoder (record/v0/index.js and header/v0/index.js), statement for statement, on
 * the Encoder's own primitives (each checked above against independent references): the reference for the patched
 * record, which writes the same bytes into one buffer without an object and an Encoder per header.
 */
function upstreamRecord({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordFields): Buffer {
  const headersArray = Object.keys(headers).flatMap((headerKey) =>
    !Array.isArray(headers[headerKey])
      ? [{ key: headerKey, value: headers[headerKey] }]
      : (headers[headerKey] as unknown[]).map((headerValue) => ({ key: headerKey, value: headerValue })),
  );
  let sizeOfHeaders = Encoder.sizeOfVarInt(headersArray.length);
  for (const header of headersArray) {
    const keySize = Buffer.byteLength(header.key);
    const valueSize = Buffer.byteLength(header.value as string);
    sizeOfHeaders += Encoder.sizeOfVarInt(keySize) + keySize;
    sizeOfHeaders += header.value === null ? Encoder.sizeOfVarInt(-1) : Encoder.sizeOfVarInt(valueSize) + valueSize;
  }
  const sizeOfBody =
    1 +
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    sizeOfHeaders;
  return new Encoder()
    .writeVarInt(sizeOfBody)
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarIntArray(headersArray.map((h) => new Encoder().writeVarIntString(h.key).writeVarIntBytes(h.value))).buffer;
}

/** CRC-32C bit by bit (reflected polynomial 0x82F63B78): slow and obviously right, the reference for the tables. */
function referenceCrc32C(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Kafka's varlong: zigzag, then 7 bits per byte, least significant first (a BigInt reference, not kafkajs's code). */
function referenceVarLong(value: bigint): Buffer {
  let zigZag = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
  const bytes: number[] = [];
  while (zigZag >= 0x80n) {
    bytes.push(Number(zigZag & 0x7fn) | 0x80);
    zigZag >>= 7n;
  }
  bytes.push(Number(zigZag));
  return Buffer.from(bytes);
}

const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

describe('the patched kafkajs encoder', () => {
  it('encodes a record batch exactly as kafkajs 2.2.4 does (headers, null key and value, unicode, a 70 kB value)', async () => {
    const records = [
      {
        key: 'dev-1',
        value: Buffer.from('{"a":1}'),
        headers: { 'ingested-at': '1795000000000', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
        timestampDelta: 0,
        offsetDelta: 0,
      },
      { key: null, value: Buffer.from('x'.repeat(70000) + 'é✓'), headers: {}, timestampDelta: 5, offsetDelta: 1 },
      {
        key: Buffer.from('κλειδί'),
        value: 'a string value ü',
        headers: { multi: ['one', 'two'], ünï: Buffer.from([0, 1, 2]) },
        timestampDelta: 300000,
        offsetDelta: 2,
      },
      { key: 'k', value: null, headers: {}, timestampDelta: 2 ** 40, offsetDelta: 3 },
    ];
    const batch = await RecordBatch({
      firstTimestamp: 1795000000000,
      maxTimestamp: 1795000300000,
      producerId: 42,
      producerEpoch: 1,
      firstSequence: 7,
      lastOffsetDelta: 3,
      records: records.map(Record),
    });
    const bytes: Buffer = batch.buffer;
    expect(bytes.length).toBe(70273);
    expect(crypto.createHash('sha256').update(bytes).digest('hex')).toBe('02e18d861abc7f8ada69e73bd8957fdc3be2afc69f2b91c9c0f60011fd8fb576');
  });

  it('encodes every record as upstream kafkajs 2.2.4 does (keys, values and headers as strings or Buffers, repeated headers)', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ maxLength: 600 }));
    const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));
    const keyOrValue = fc.oneof(text, bytes, fc.constant(null), fc.constant(undefined));
    const headerValue = fc.oneof(text, bytes);
    const headerName = fc.oneof(fc.constantFrom('traceparent', 'floodgate-schema', 'ünï', '__proto__'), fc.string({ maxLength: 12 }));
    const headers = fc.dictionary(headerName, fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 })), { maxKeys: 6 });
    const fields = fc.record({
      key: keyOrValue,
      value: keyOrValue,
      headers,
      timestampDelta: fc.integer({ min: 0, max: 2 ** 45 }),
      offsetDelta: fc.integer({ min: 0, max: 100_000 }),
    });
    fc.assert(
      fc.property(fields, (f) => {
        const encoded: Buffer = Record(f).buffer;
        expect(encoded.equals(upstreamRecord(f))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('encodes records that share one frozen headers object as upstream does, each time, and never from a stale copy', () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 300 }));
    const headers = fc.dictionary(fc.oneof(fc.constantFrom('traceparent', '__proto__'), fc.string({ maxLength: 12 })), text, { maxKeys: 6 });
    const keyOrValue = fc.oneof(text, fc.constant(null));
    fc.assert(
      fc.property(headers, fc.array(fc.tuple(keyOrValue, keyOrValue), { minLength: 1, maxLength: 5 }), (h, records) => {
        const shared = Object.freeze(h); // the API's messages of one request share one such object
        records.forEach(([key, value], offsetDelta) => {
          const f = { key, value, headers: shared, timestampDelta: 0, offsetDelta };
          expect(Record(f).buffer.equals(upstreamRecord(f))).toBe(true);
        });
      }),
      { numRuns: 500 },
    );

    // What could change between two records is encoded anew every time: an unfrozen object, a frozen one whose
    // value is a Buffer or an array (changed in place), and a frozen getter.
    const base = { key: 'k', value: 'v', timestampDelta: 0, offsetDelta: 0 };
    const open: Record<string, string> = { h: 'one' };
    const buffer = Buffer.from('one');
    const frozenBuffer = Object.freeze({ h: buffer });
    const array = ['one'];
    const frozenArray = Object.freeze({ h: array });
    let getterValue = 'one';
    const frozenGetter = Object.freeze({
      get h() {
        return getterValue;
      },
    });
    const cases: [Record<string, unknown>, () => void][] = [
      [open, () => (open.h = 'two')],
      [frozenBuffer, () => buffer.write('two')],
      [frozenArray, () => (array[0] = 'two')],
      [frozenGetter, () => (getterValue = 'two')],
    ];
    for (const [headers, change] of cases) {
      for (let i = 0; i < 3; i++) expect(Record({ ...base, headers }).buffer.equals(upstreamRecord({ ...base, headers }))).toBe(true);
      change();
      const after: Buffer = Record({ ...base, headers }).buffer;
      expect(after.equals(upstreamRecord({ ...base, headers }))).toBe(true);
      expect(after.includes('two')).toBe(true);
    }

    // Changed after its first record, then frozen: the second record already has the new value.
    const late: Record<string, string> = { h: 'one' };
    expect(Record({ ...base, headers: late }).buffer.includes('one')).toBe(true);
    late.h = 'two';
    Object.freeze(late);
    for (let i = 0; i < 3; i++) expect(Record({ ...base, headers: late }).buffer.equals(upstreamRecord({ ...base, headers: late }))).toBe(true);
  });

  it('refuses what upstream refused (a number key, a null header value) and a typed array it would have written corrupt', () => {
    const base = { timestampDelta: 0, offsetDelta: 0 };
    // Node's own TypeError (another realm than jest's), so matched by its message.
    const refused = /argument must be of type string or an instance of Buffer/;
    expect(() => upstreamRecord({ ...base, key: 5, value: 'v' })).toThrow(refused);
    expect(() => Record({ ...base, key: 5, value: 'v' })).toThrow(refused);
    expect(() => upstreamRecord({ ...base, key: 'k', value: 'v', headers: { h: null } })).toThrow(refused);
    expect(() => Record({ ...base, key: 'k', value: 'v', headers: { h: null } })).toThrow(refused);
    expect(() => upstreamRecord({ ...base, key: 'k', value: 'v', headers: { h: undefined } })).toThrow(refused);
    expect(() => Record({ ...base, key: 'k', value: 'v', headers: { h: undefined } })).toThrow(refused);
    // Upstream sized a Uint8Array by its bytes but wrote String(value) ("1,2,3"): a record whose length lies.
    const typed = new Uint8Array([1, 2, 3]);
    const corrupt = new Decoder(upstreamRecord({ ...base, key: 'k', value: typed }));
    const declaredBody = corrupt.readVarInt();
    expect(corrupt.buffer.length - corrupt.offset).not.toBe(declaredBody);
    expect(() => Record({ ...base, key: 'k', value: typed })).toThrow('must be a string or a Buffer');
  });

  it('encodes the edge varints and varlongs exactly as kafkajs 2.2.4 does', () => {
    const e = new Encoder()
      .writeVarInt(-1)
      .writeVarInt(0)
      .writeVarInt(2147483647)
      .writeVarInt(-2147483648)
      .writeUVarInt(300)
      .writeVarLong(-1)
      .writeVarLong(2 ** 53 - 1)
      .writeVarLong(-(2 ** 53))
      .writeVarLong('9223372036854775807')
      .writeVarLong('-9223372036854775808');
    expect(e.buffer.toString('hex')).toBe('0100feffffff0fffffffff0fac0201feffffffffffff1fffffffffffffff1ffeffffffffffffffff01ffffffffffffffffff01');
  });

  it('writes every varint as the reference does, sized by sizeOfVarInt and read back by the decoder', () => {
    fc.assert(
      fc.property(int32, (v) => {
        const bytes: Buffer = new Encoder().writeVarInt(v).buffer;
        expect(bytes.equals(referenceVarLong(BigInt(v)))).toBe(true);
        expect(bytes.length).toBe(Encoder.sizeOfVarInt(v));
        expect(new Decoder(bytes).readVarInt()).toBe(v);
      }),
      { numRuns: 5000 },
    );
  });

  it('writes every varlong (numbers on the fast path, strings on the Long path) as the reference does', () => {
    const asNumber = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(asNumber, (v) => {
        const bytes: Buffer = new Encoder().writeVarLong(v).buffer;
        expect(bytes.equals(referenceVarLong(BigInt(v)))).toBe(true);
        expect(bytes.length).toBe(Encoder.sizeOfVarLong(v));
        expect(new Decoder(bytes).readVarLong().toString()).toBe(String(v));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(int64, (v) => {
        const bytes: Buffer = new Encoder().writeVarLong(v.toString()).buffer;
        expect(bytes.equals(referenceVarLong(v))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('computes CRC-32C (slicing by 8) as the bitwise reference does, for every length and alignment', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283); // the standard check value
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 7 }), (bytes, skip) => {
        const view = Buffer.from(bytes).subarray(Math.min(skip, bytes.length));
        expect(crc32C(view)).toBe(referenceCrc32C(view));
      }),
      { numRuns: 3000 },
    );
  });

  it('decodes record headers as kafkajs 2.2.4 does (repeated keys, and keys such as __proto__ and toString)', () => {
    const key = fc.constantFrom('traceparent', 'a', 'b', '__proto__', 'toString', 'floodgate-schema');
    const entries = fc.uniqueArray(fc.tuple(key, fc.array(fc.string(), { minLength: 1, maxLength: 3 })), { selector: ([k]) => k, maxLength: 6 });
    fc.assert(
      fc.property(entries, (list) => {
        const headers: Record<string, string[]> = {};
        for (const [k, values] of list) Object.defineProperty(headers, k, { value: values, enumerable: true, configurable: true, writable: true });
        const encoded: Buffer = Record({ key: 'k', value: Buffer.from('v'), headers, timestampDelta: 1, offsetDelta: 2 }).buffer;
        const body = new Decoder(encoded).readVarIntBytes();
        const decoded = RecordDecoder(new Decoder(body), { firstOffset: '10', firstTimestamp: '1795000000000', magicByte: 2 });
        const pairs = list.flatMap(([k, values]) => values.map((v) => ({ key: k, value: Buffer.from(v) })));
        const expected = upstreamHeaders(pairs);
        expect(Object.getOwnPropertyNames(decoded.headers)).toEqual(Object.getOwnPropertyNames(expected));
        for (const name of Object.getOwnPropertyNames(expected)) {
          expect(Object.getOwnPropertyDescriptor(decoded.headers, name)!.value).toEqual(Object.getOwnPropertyDescriptor(expected, name)!.value);
        }
        expect(Object.getPrototypeOf(decoded.headers)).toBe(Object.prototype);
        expect(decoded.offset).toBe('12');
        expect(decoded.timestamp).toBe('1795000000001');
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a varlong as a number exactly when it has at most 7 bytes, with the value readVarLong gives', () => {
    const near = (edge: bigint) => fc.bigInt({ min: edge - 3n, max: edge + 3n });
    const value = fc.oneof(int64, fc.integer().map(BigInt), near(2n ** 48n), near(-(2n ** 48n)), near(2n ** 53n), near(-(2n ** 53n)));
    fc.assert(
      fc.property(value, (v) => {
        const bytes = referenceVarLong(v);
        const fast = new Decoder(bytes);
        const asNumber = fast.readVarLongAsNumber();
        if (bytes.length <= 7) {
          expect([asNumber, fast.offset]).toEqual([Number(v), bytes.length]);
        } else {
          expect([asNumber, fast.offset]).toEqual([undefined, 0]);
        }
        expect(new Decoder(bytes).readVarLong().toString()).toBe(v.toString());
      }),
      { numRuns: 5000 },
    );
  });

  it("decodes a record's offset and timestamp as kafkajs 2.2.4 does, on the number path and the Long path", () => {
    const near = (edge: bigint) => fc.bigInt({ min: edge - 3n, max: edge + 3n }).map(String);
    const base = fc.oneof(int64.map(String), fc.nat().map(String), near(2n ** 53n), near(-(2n ** 53n)), fc.constant('1795000000000'));
    const delta = fc.oneof(fc.integer({ min: -1000, max: 100000 }), int32, near(2n ** 53n), int64.map(String));
    fc.assert(
      fc.property(fc.array(fc.tuple(base, base, int32, delta), { minLength: 1, maxLength: 4 }), (records) => {
        // Records of several batches one after the other: each batch's base is parsed once and must not leak into the next.
        for (const [firstOffset, firstTimestamp, offsetDelta, timestampDelta] of records) {
          const encoded: Buffer = Record({ key: 'k', value: Buffer.from('v'), headers: {}, timestampDelta, offsetDelta }).buffer;
          const body = new Decoder(encoded).readVarIntBytes();
          const decoded = RecordDecoder(new Decoder(body), { firstOffset, firstTimestamp, magicByte: 2 });
          expect([decoded.offset, decoded.timestamp]).toEqual([
            Long.fromValue(firstOffset).add(offsetDelta).toString(),
            Long.fromValue(firstTimestamp).add(Long.fromValue(timestampDelta)).toString(),
          ]);
          expect(decoded.value).toEqual(Buffer.from('v'));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("hashes keys to partitions as Kafka's Java client does (its own test vectors) and as upstream kafkajs does", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2: the partition of a key must not depend on the client.
    const java: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of java) expect(murmur2(key)).toBe(hash);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
        ),
        (key) => {
          expect(murmur2(key)).toBe(upstreamMurmur2(key));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('groups messages per partition as upstream does, in order', () => {
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({ partitionId, leader: 0 }));
    const partitioner = ({ message }: { message: { key: string } }) => (murmur2(message.key) & 0x7fffffff) % 12;
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { maxLength: 300 }), (keys) => {
        const messages = keys.map((key, i) => ({ key, value: String(i) }));
        const expected: Record<number, unknown[]> = {};
        for (const m of messages) (expected[partitioner({ message: m })] ??= []).push(m);
        const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner });
        expect(grouped).toEqual(expected);
        expect(Object.keys(grouped)).toEqual(Object.keys(expected));
      }),
      { numRuns: 500 },
    );
  });

  it('is the patched kafkajs: headers not copied per header, murmur2 without Long, no array copy per grouped message', () => {
    const source = (module: string) => require('node:fs').readFileSync(require.resolve(module), 'utf8');
    expect(source('kafkajs/src/protocol/recordBatch/record/v0/decoder')).not.toContain('...obj');
    expect(source('kafkajs/src/producer/partitioners/default/murmur2')).not.toContain('utils/long');
    expect(source('kafkajs/src/producer/groupMessagesPerPartition')).not.toContain('...current');
    expect(source('kafkajs/src/protocol/recordBatch/record/v0/decoder')).not.toContain('Long.fromValue(firstOffset)');
  });

  it('is the patched record encoder: one Encoder per record, none per header', () => {
    expect(require('node:fs').readFileSync(require.resolve('kafkajs/src/protocol/recordBatch/record/v0'), 'utf8')).not.toContain('headersArray.map(Header)');
  });

  it('writes arrays of encoders, alone or among numbers and strings, as their bytes one after another', () => {
    const part = fc.uint8Array({ maxLength: 3000 }).map((bytes) => new Encoder().writeBuffer(Buffer.from(bytes)));
    const item = fc.oneof(part, int32, fc.string({ maxLength: 40 }));
    fc.assert(
      fc.property(fc.array(part, { maxLength: 20 }), fc.array(item, { maxLength: 20 }), (encoders, mixed) => {
        const int32Of = (n: number) => new Encoder().writeInt32(n).buffer;
        const expected = Buffer.concat([int32Of(encoders.length), ...encoders.map((e) => e.buffer)]);
        expect(new Encoder().writeArray(encoders, 'object').buffer.equals(expected)).toBe(true);
        expect(new Encoder().writeEncoderArray(encoders).buffer.equals(expected.subarray(4))).toBe(true);
        const each = mixed.map((v) => (typeof v === 'number' ? int32Of(v) : typeof v === 'string' ? new Encoder().writeString(v).buffer : v.buffer));
        expect(new Encoder().writeArray(mixed).buffer.equals(Buffer.concat([int32Of(mixed.length), ...each]))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is the patched encoder: an array of encoders is copied into room made once, not by doubling', () => {
    const records = Array.from({ length: 100 }, () => new Encoder().writeBuffer(Buffer.alloc(1000, 7)));
    const target = new Encoder();
    const allocUnsafe = jest.spyOn(Buffer, 'allocUnsafe');
    try {
      target.writeArray(records, 'object');
      expect(allocUnsafe).toHaveBeenCalledTimes(1); // upstream: once per doubling, eight times here
    } finally {
      allocUnsafe.mockRestore();
    }
  });

  it('is the patched encoder: no zero-filled allocation per record or header', () => {
    // Upstream kafkajs calls Buffer.alloc for every Encoder (one per record and one per header); the patch uses
    // allocUnsafe, whose bytes are all overwritten before the buffer is read.
    const alloc = jest.spyOn(Buffer, 'alloc');
    try {
      Record({ key: 'dev-1', value: Buffer.from('{}'), headers: { a: '1', b: '2' }, timestampDelta: 0, offsetDelta: 0 });
      expect(alloc).not.toHaveBeenCalled();
    } finally {
      alloc.mockRestore();
    }
  });
});
