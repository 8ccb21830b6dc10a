import fc from 'fast-check';
import { isoOfParsedTime } from '../../src/device-cache';

const pad = (n: number, width: number) => String(n).padStart(width, '0');

describe('the event time of a cache entry', () => {
  it('is exactly what Date formats, for any instant in years 0000-9999 given in toISOString form', () => {
    const instant = fc.integer({ min: Date.parse('0000-01-01T00:00:00.000Z'), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) });
    fc.assert(
      fc.property(instant, (ms) => {
        const iso = new Date(ms).toISOString();
        expect(isoOfParsedTime(iso, Date.parse(iso))).toBe(iso);
      }),
      { numRuns: 5000 },
    );
  });

  it('is what Date formats for strings whose fields are out of range (a 30 February, hour 24, second 60) or in another form', () => {
    const field = (max: number) => fc.integer({ min: 0, max });
    const loose = fc
      .tuple(fc.constantFrom(0, 1900, 2000, 2024, 2026, 2100, 9999), field(13), field(32), field(25), field(61), field(61), field(999))
      .map(([y, mo, d, h, mi, s, ms]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.${pad(ms, 3)}Z`);
    const otherForms = fc.constantFrom('2026-11-23T10:00:00Z', '2026-11-23T10:00:00.5Z', '2026-11-23T11:00:00.000+01:00', '2026-11-23T10:00:00.000000Z');
    let checked = 0;
    fc.assert(
      fc.property(fc.oneof(loose, otherForms), (ts) => {
        const ms = Date.parse(ts);
        if (Number.isNaN(ms)) return; // Date refuses it; the database would too, so no such event is ever stored
        checked += 1;
        expect(isoOfParsedTime(ts, ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
    expect(checked).toBeGreaterThan(1000);
    expect(isoOfParsedTime('2026-02-30T00:00:00.000Z', Date.parse('2026-02-30T00:00:00.000Z'))).toBe('2026-03-02T00:00:00.000Z');
    expect(isoOfParsedTime('2024-02-29T00:00:00.000Z', Date.parse('2024-02-29T00:00:00.000Z'))).toBe('2024-02-29T00:00:00.000Z');
    // Date reads 24:00 as the next day's midnight.
    expect(isoOfParsedTime('2026-11-23T24:00:00.000Z', Date.parse('2026-11-23T24:00:00.000Z'))).toBe('2026-11-24T00:00:00.000Z');
  });
});
