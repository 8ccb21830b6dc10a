import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { plotsFor } from '../../harness/plots';
import type { ScenarioResult } from '../../harness/scenario';
import { barChart, lineChart, niceScale, percentileChart } from '../../harness/svg';

interface Element {
  [attribute: string]: string | Element[] | undefined;
}

/** The <svg> element, after checking the document is well-formed XML. */
function parseSvg(svg: string): Element {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`not valid XML: ${JSON.stringify(valid.err)}`);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (_name, _path, _leaf, isAttribute) => !isAttribute }).parse(svg) as {
    svg: Element[];
  };
  return doc.svg[0]!;
}

const children = (el: Element, tag: string) => (el[tag] as Element[] | undefined) ?? [];
const texts = (svg: Element) => children(svg, 'text').map((t) => String(t['#text']));
const num = (v: unknown) => Number(v);

describe('the SVG writer', () => {
  it('rounds an axis up to evenly spaced ticks from zero', () => {
    expect(niceScale(8506)).toEqual({ max: 10000, ticks: [0, 2000, 4000, 6000, 8000, 10000] });
    expect(niceScale(0.7)).toEqual({ max: 0.8, ticks: [0, 0.2, 0.4, 0.6, 0.8] });
    expect(niceScale(0).max).toBe(1);
    for (const max of [1, 3, 57, 999, 12345, 2.5e6]) {
      const s = niceScale(max);
      expect(s.max).toBeGreaterThanOrEqual(max);
      expect(s.ticks[0]).toBe(0);
      const steps = s.ticks.slice(1).map((t, i) => t - s.ticks[i]!);
      for (const step of steps) expect(step).toBeCloseTo(steps[0]!, 9);
    }
  });

  it('draws throughput bars as valid XML with lengths proportional to the values and the ceiling marked', () => {
    const bars = [
      { label: 'bare express c=64', value: 8506, ceiling: true },
      { label: 'floodgate c=64', value: 4266 },
      { label: 'floodgate <batch> & co', value: 1000 },
      { label: 'nothing', value: 0 },
    ];
    const svg = parseSvg(barChart({ title: 'ingest: throughput', unit: 'req/s', bars }));
    const rects = children(svg, 'rect').filter((r) => String(r.class).startsWith('bar'));
    expect(rects.map((r) => num(r['data-value']))).toEqual([8506, 4266, 1000, 0]);
    const perUnit = num(rects[0]!.width) / 8506;
    for (const r of rects) expect(num(r.width)).toBeCloseTo(num(r['data-value']) * perUnit, 0);
    expect(num(rects[0]!.width)).toBeGreaterThan(num(rects[1]!.width) * 1.9);
    // Every bar starts at the same x: the zero of the axis.
    expect(new Set(rects.map((r) => r.x)).size).toBe(1);
    expect(rects.map((r) => String(r.class))).toEqual(['bar ceiling', 'bar', 'bar', 'bar']);
    expect(texts(svg)).toEqual(expect.arrayContaining(['ingest: throughput', 'req/s', 'bare express c=64 (ceiling)', 'floodgate <batch> & co', '0', '10,000']));
  });

  it('draws p50, p90 and p99 per level on one millisecond axis, and leaves p90 out when no level has it', () => {
    const svg = parseSvg(
      percentileChart({
        title: 'latency',
        rows: [
          { label: 'a', p50: 4, p90: 12, p99: 57 },
          { label: 'b', p50: 61, p99: 271, ceiling: true },
        ],
      }),
    );
    const rects = children(svg, 'rect').filter((r) => String(r.class).startsWith('bar'));
    expect(rects.map((r) => `${String(r['data-label'])}:${String(r['data-percentile'])}`)).toEqual(['a:p50', 'a:p90', 'a:p99', 'b:p50', 'b:p99']);
    const perMs = num(rects[4]!.width) / 271;
    for (const r of rects) expect(num(r.width)).toBeCloseTo(num(r['data-value']) * perMs, 0);
    expect(texts(svg)).toEqual(expect.arrayContaining(['latency (ms)', 'b (ceiling)', 'p50', 'p90', 'p99']));

    const withoutP90 = parseSvg(percentileChart({ title: 'latency', rows: [{ label: 'x', p50: 1, p99: 2 }] }));
    expect(children(withoutP90, 'rect').filter((r) => r['data-percentile'] === 'p90')).toHaveLength(0);
    expect(texts(withoutP90)).not.toContain('p90');
  });

  it('draws series over time in one panel per unit, a point per sample, later samples further right', () => {
    const svg = parseSvg(
      lineChart({
        title: 'autoscaling',
        series: [
          {
            name: 'replicas',
            unit: 'replicas',
            points: [
              [0, 1],
              [5, 1],
              [7.5, 6],
              [20, 12],
            ],
          },
          {
            name: 'lag',
            unit: 'events',
            points: [
              [0, 0],
              [5, 12000],
              [30, 100],
            ],
          },
          {
            name: 'threshold',
            unit: 'events',
            points: [
              [0, 1000],
              [30, 1000],
            ],
          },
        ],
      }),
    );
    const lines = children(svg, 'polyline');
    expect(lines.map((l) => [l['data-name'], l['data-unit']])).toEqual([
      ['replicas', 'replicas'],
      ['lag', 'events'],
      ['threshold', 'events'],
    ]);
    const points = (l: Element) =>
      String(l.points)
        .split(' ')
        .map((p) => p.split(',').map(Number) as [number, number]);
    expect(points(lines[0]!)).toHaveLength(4);
    expect(points(lines[1]!)).toHaveLength(3);
    const xs = points(lines[1]!).map(([x]) => x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    // Higher values are drawn higher (smaller y) within a panel.
    const [, y0] = points(lines[1]!)[0]!;
    const [, yPeak] = points(lines[1]!)[1]!;
    expect(yPeak).toBeLessThan(y0);
    expect(texts(svg)).toEqual(expect.arrayContaining(['replicas', 'events', 'seconds since the scenario started', 'lag', 'threshold']));
  });

  it('wraps a long legend onto more rows inside the chart and moves the panel down for it', () => {
    const series = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `a rather long series name number ${i}`,
        unit: 'ms',
        points: [
          [0, i],
          [10, i + 1],
        ] as Array<[number, number]>,
      }));
    const one = parseSvg(lineChart({ title: 't', series: series(1) }));
    const six = parseSvg(lineChart({ title: 't', series: series(6) }));
    const swatches = children(six, 'rect').filter((r) => r.class === 'legend-swatch');
    expect(swatches).toHaveLength(6);
    expect(new Set(swatches.map((r) => r.y)).size).toBeGreaterThan(1);
    for (const r of swatches) expect(num(r.x)).toBeLessThan(num(six.width));
    expect(num(six.height)).toBeGreaterThan(num(one.height));
  });
});

describe('the plots of a scenario', () => {
  const base: ScenarioResult = {
    scenario: 'worker-drain',
    description: 'drain',
    rows: [
      { label: 'raw COPY', ceiling: true, throughput: { value: 90000, unit: 'rows/s' } },
      { label: 'drain', ceiling: false, throughput: { value: 40000, unit: 'rows/s' } },
    ],
    ratios: [],
  };

  it('are a throughput chart per throughput unit, a latency chart only with latencies and a time chart only with series', () => {
    expect(plotsFor(base).map((p) => p.file)).toEqual(['worker-drain.throughput.svg']);
    const richer: ScenarioResult = {
      ...base,
      rows: [...base.rows, { label: 'http', ceiling: false, throughput: { value: 100, unit: 'req/s' }, latencyMs: { p50: 1, p99: 2 } }],
      series: [
        {
          name: 'committed',
          unit: 'events',
          points: [
            [0, 0],
            [1, 10],
          ],
        },
        { name: 'empty', unit: 'x', points: [] },
      ],
    };
    const plots = plotsFor(richer);
    expect(plots.map((p) => p.file)).toEqual([
      'worker-drain.throughput-rows-s.svg',
      'worker-drain.throughput-req-s.svg',
      'worker-drain.latency.svg',
      'worker-drain.series.svg',
    ]);
    for (const p of plots) parseSvg(p.svg);
    expect(children(parseSvg(plots[3]!.svg), 'polyline')).toHaveLength(1);
  });
});
