import { copyChunks, copyField, ingestTimeIso } from '../../src/readings-copy';

describe('COPY text-format encoding', () => {
  it('writes null as \\N and escapes backslash, tab, newline and carriage return', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('plain')).toBe('plain');
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    // A literal "\N" string is data, not null: its backslash is escaped.
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('joins fields with tabs, ends rows with newlines and splits into chunks without breaking a row', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [`dev-${i}`, null, `{"v":${i}}`]);
    const chunks = [...copyChunks(rows, 1024)];
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.toString('utf8').endsWith('\n')).toBe(true);
    const lines = Buffer.concat(chunks).toString('utf8').split('\n').slice(0, -1);
    expect(lines).toHaveLength(1000);
    expect(lines[7]).toBe('dev-7\t\\N\t{"v":7}');
  });

  it('keeps multi-byte characters intact across chunk boundaries', () => {
    const rows = Array.from({ length: 300 }, () => ['gerät-ñ-土砂災害-🌧']);
    const text = Buffer.concat([...copyChunks(rows, 100)]).toString('utf8');
    expect(
      text
        .split('\n')
        .filter(Boolean)
        .every((l) => l === 'gerät-ñ-土砂災害-🌧'),
    ).toBe(true);
  });

  it('writes a row of one field, and of none, as COPY reads them', () => {
    expect(Buffer.concat([...copyChunks([['only'], [null], []])]).toString('utf8')).toBe('only\n\\N\n\n');
  });

  it('formats each ingest time as its ISO string, whatever came before (it remembers only the last one)', () => {
    const times = [1795000000000, 1795000000000, 1795000000001, 1795000000000, 0.5, 1795000000001];
    expect(times.map(ingestTimeIso)).toEqual(times.map((ms) => new Date(ms).toISOString()));
    expect(ingestTimeIso(undefined)).toBeNull();
  });
});
