import fc from 'fast-check';
import { decimalOf } from '../../src/batch-consumer';

describe('the ingest-time header', () => {
  it('reads as Number reads its text, for digits and for anything else', () => {
    const digits = fc.stringMatching(/^[0-9]{1,20}$/);
    const other = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.constantFrom('', ' 1795000000000', '1795000000000 ', '+12', '-12', '1e3', '0x10', '1.5', '0012', 'Infinity', '١٢٣'),
    );
    fc.assert(
      fc.property(fc.oneof(digits, other), (text) => {
        expect(Object.is(decimalOf(Buffer.from(text)), Number(text))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    expect(decimalOf(Buffer.from('1795000000000'))).toBe(1795000000000);
  });
});
