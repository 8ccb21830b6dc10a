import { newClusterId } from '../../src/servers/kafka';

it('draws again when the base64url id would start with "-" (the storage tool would read it as an option)', () => {
  // 0xF8 0x00... encodes as "-A...": the first draw is refused, the second kept.
  const draws = [Buffer.alloc(16, 0).fill(0xf8, 0, 1), Buffer.alloc(16, 0x41)];
  let calls = 0;
  const id = newClusterId(() => draws[calls++]!);
  expect(draws[0]!.toString('base64url').startsWith('-')).toBe(true);
  expect(calls).toBe(2);
  expect(id).toBe(draws[1]!.toString('base64url'));
});

it('is 22 base64url characters (16 bytes, no padding), as KRaft expects', () => {
  for (let i = 0; i < 1000; i++) expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
});
