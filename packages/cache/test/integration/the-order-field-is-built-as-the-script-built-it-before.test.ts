/**
 * The compare-and-set used to build each entry's order field in Lua (`string.format('%015d', tonumber(ts_ms)) .. '|'
 * .. event_id`); the client builds it now (orderOf). During a rolling upgrade both kinds of writer share one cache,
 * so the two must give the same string, or a replay could move the cache backwards. Real Redis runs the old formula.
 */
import fc from 'fast-check';
import Redis from 'ioredis';
import { orderOf } from '../../src';

const OLD_FORMULA = `
local out = {}
for i = 1, #ARGV, 2 do out[#out + 1] = string.format('%015d', tonumber(ARGV[i])) .. '|' .. ARGV[i + 1] end
return out`;

let redis: Redis;
beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(async () => {
  await redis.quit();
});

const byOldScript = async (pairs: Array<[string, string]>): Promise<string[]> => (await redis.eval(OLD_FORMULA, 0, ...pairs.flat())) as string[];

it('gives what the script gave for edge values of event time', async () => {
  const id = '0190d5a0-0000-7000-8000-00000000000a';
  const pairs: Array<[string, string]> = ['0', '1', '1795428000000', '999999999999999', '86400000', '-1', '-5000'].map((t) => [t, id]);
  expect(pairs.map(([t, e]) => orderOf(t, e))).toEqual(await byOldScript(pairs));
  expect(orderOf('1795428000000', id)).toBe(`001795428000000|${id}`);
});

it('gives what the script gave for any whole ms from the epoch to year 9999 and any event id', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: 253402300799999 }), fc.uuid()), { minLength: 1, maxLength: 50 }), async (values) => {
      const pairs = values.map(([ms, id]): [string, string] => [String(ms), id]);
      expect(pairs.map(([t, e]) => orderOf(t, e))).toEqual(await byOldScript(pairs));
    }),
    { numRuns: 200 },
  );
});
