import { parseWaldumpStats } from '../../scenarios/support/wal-stats';

// The tail of a real `pg_waldump --stats` run against PostgreSQL 15 (50,000 inserts and an update after a CHECKPOINT).
const output = `WAL statistics between 0/3000028 and 0/3C44278:
Type                                           N      (%)          Record size      (%)             FPI size      (%)        Combined size      (%)
----                                           -      ---          -----------      ---             --------      ---        -------------      ---
XLOG                                           3 (  0.00)                  212 (  0.00)                  176 (  0.13)                  388 (  0.00)
Heap2                                         14 (  0.01)                 2767 (  0.02)                26220 ( 19.23)                28987 (  0.23)
Heap                                      114298 ( 66.36)              8187637 ( 65.64)                14664 ( 10.76)              8202301 ( 65.05)
Btree                                      57904 ( 33.62)              4281048 ( 34.32)                95276 ( 69.88)              4376324 ( 34.71)
                                        --------                      --------                      --------                      --------
Total                                     172230                      12473465 [98.92%]               136336 [1.08%]              12609801 [100%]
`;

describe("a level's WAL, from pg_waldump --stats", () => {
  it('takes the records, their bytes and the full-page images from the Total line', () => {
    expect(parseWaldumpStats(output)).toEqual({ records: 172230, recordBytes: 12473465, fullPageBytes: 136336 });
  });

  it('reads a Total line whose page images are most of the WAL', () => {
    const line =
      'Total                                       9120                        912000 [10.00%]              8208000 [90.00%]               9120000 [100%]';
    expect(parseWaldumpStats(`header\n${line}\n`)).toEqual({ records: 9120, recordBytes: 912000, fullPageBytes: 8208000 });
  });

  it('refuses output without a Total line, quoting its end', () => {
    expect(() => parseWaldumpStats('pg_waldump: error: could not find a valid record after 0/3000000\n')).toThrow(
      /no Total line in pg_waldump --stats output: .*could not find a valid record/,
    );
  });
});
