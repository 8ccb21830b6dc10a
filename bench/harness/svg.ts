/**
 * A small SVG writer for the benchmark plots: horizontal bar charts (throughput, the ceiling bars marked), grouped
 * bars for latency percentiles, and line charts over time (one panel per unit, e.g. replicas and lag). Plain
 * strings, no dependency; every shape carries its data in `data-*` attributes so tests can check the geometry.
 */
import { formatNumber } from './report';

const font = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';
const palette = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#ca8a04'];
const ceilingFill = '#9ca3af';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A rounded axis: a maximum at or above `max` and evenly spaced ticks at 1, 2, 2.5 or 5 × 10^k. */
export function niceScale(max: number, tickCount = 5): { max: number; ticks: number[] } {
  if (!Number.isFinite(max) || max <= 0) return { max: 1, ticks: [0, 0.25, 0.5, 0.75, 1] };
  const rough = max / tickCount;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const top = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { max: ticks.at(-1)!, ticks };
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function text(x: number, y: number, content: string, attrs = '', size = 12): string {
  return `<text x="${r1(x)}" y="${r1(y)}" ${font} font-size="${size}" ${attrs}>${escapeXml(content)}</text>`;
}

function document(width: number, height: number, title: string, body: string[]): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 22, title, 'font-weight="600" text-anchor="middle" class="chart-title"', 15),
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** Vertical grid lines with tick labels below a horizontal value axis, and the axis label under them. */
function valueAxis(left: number, width: number, top: number, bottom: number, scale: { max: number; ticks: number[] }, label: string): string[] {
  const out: string[] = [];
  for (const t of scale.ticks) {
    const x = left + (t / scale.max) * width;
    out.push(`<line x1="${r1(x)}" y1="${top}" x2="${r1(x)}" y2="${bottom}" stroke="#e5e7eb"/>`);
    out.push(text(x, bottom + 16, formatNumber(t), 'text-anchor="middle" class="tick"'));
  }
  out.push(`<line x1="${left}" y1="${bottom}" x2="${left + width}" y2="${bottom}" stroke="#374151"/>`);
  out.push(text(left + width / 2, bottom + 34, label, 'text-anchor="middle" class="axis-label"'));
  return out;
}

const legendRowHeight = 18;

/** Legend entries left to right, wrapping onto a new row at `maxWidth`; `y` is the first row's baseline. */
function legend(x: number, y: number, items: Array<{ label: string; fill: string }>, maxWidth = chartWidth - x - 20): { svg: string[]; height: number } {
  const svg: string[] = [];
  let cx = x;
  let cy = y;
  for (const item of items) {
    const width = 28 + item.label.length * 7;
    if (cx > x && cx + width > x + maxWidth) {
      cx = x;
      cy += legendRowHeight;
    }
    svg.push(`<rect x="${r1(cx)}" y="${cy - 10}" width="12" height="12" fill="${item.fill}" class="legend-swatch"/>`);
    svg.push(text(cx + 16, cy, item.label, 'class="legend"'));
    cx += width;
  }
  return { svg, height: cy - y + legendRowHeight };
}

export interface Bar {
  label: string;
  value: number;
  /** The ceiling's bar: grey, labelled "(ceiling)". */
  ceiling?: boolean;
}

const labelWidth = 230;
const valueRoom = 90;
const chartWidth = 800;

/** Horizontal bars, one per row, lengths proportional to the values on a shared axis starting at zero. */
export function barChart(opts: { title: string; unit: string; bars: Bar[] }): string {
  const barHeight = 22;
  const gap = 12;
  const top = 48;
  const plotWidth = chartWidth - labelWidth - valueRoom;
  const bottom = top + opts.bars.length * (barHeight + gap);
  const scale = niceScale(Math.max(0, ...opts.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0))));
  const body = valueAxis(labelWidth, plotWidth, top - 6, bottom, scale, opts.unit);
  opts.bars.forEach((bar, i) => {
    const y = top + i * (barHeight + gap);
    const value = Number.isFinite(bar.value) ? Math.max(0, bar.value) : 0;
    const width = (value / scale.max) * plotWidth;
    const fill = bar.ceiling ? ceilingFill : palette[0]!;
    body.push(text(labelWidth - 8, y + barHeight / 2 + 4, bar.ceiling ? `${bar.label} (ceiling)` : bar.label, 'text-anchor="end" class="bar-label"'));
    body.push(
      `<rect class="bar${bar.ceiling ? ' ceiling' : ''}" x="${labelWidth}" y="${y}" width="${r1(width)}" height="${barHeight}" fill="${fill}" data-value="${value}" data-label="${escapeXml(bar.label)}"/>`,
    );
    body.push(text(labelWidth + width + 6, y + barHeight / 2 + 4, Number.isFinite(bar.value) ? formatNumber(bar.value) : 'n/a', 'class="bar-value"'));
  });
  body.push(
    ...legend(labelWidth, bottom + 58, [
      { label: 'measured', fill: palette[0]! },
      { label: 'ceiling (same run)', fill: ceilingFill },
    ]).svg,
  );
  return document(chartWidth, bottom + 70, opts.title, body);
}

export interface PercentileRow {
  label: string;
  ceiling?: boolean;
  p50: number;
  p90?: number;
  p99: number;
}

/** Grouped horizontal bars: p50, p90 (where any row has it) and p99 per row, in milliseconds. */
export function percentileChart(opts: { title: string; rows: PercentileRow[] }): string {
  const keys = (['p50', 'p90', 'p99'] as const).filter((k) => k !== 'p90' || opts.rows.some((r) => r.p90 !== undefined));
  const barHeight = 12;
  const groupGap = 14;
  const top = 48;
  const plotWidth = chartWidth - labelWidth - valueRoom;
  const groupHeight = keys.length * barHeight;
  const bottom = top + opts.rows.length * (groupHeight + groupGap);
  const values = opts.rows.flatMap((r) => keys.map((k) => r[k] ?? 0)).filter(Number.isFinite);
  const scale = niceScale(Math.max(0, ...values));
  const body = valueAxis(labelWidth, plotWidth, top - 6, bottom, scale, 'latency (ms)');
  opts.rows.forEach((row, i) => {
    const y0 = top + i * (groupHeight + groupGap);
    body.push(text(labelWidth - 8, y0 + groupHeight / 2 + 4, row.ceiling ? `${row.label} (ceiling)` : row.label, 'text-anchor="end" class="bar-label"'));
    keys.forEach((key, k) => {
      const v = row[key];
      if (v === undefined || !Number.isFinite(v)) return;
      const width = (Math.max(0, v) / scale.max) * plotWidth;
      const y = y0 + k * barHeight;
      body.push(
        `<rect class="bar ${key}" x="${labelWidth}" y="${y}" width="${r1(width)}" height="${barHeight - 2}" fill="${palette[k]}" data-value="${v}" data-label="${escapeXml(row.label)}" data-percentile="${key}"/>`,
      );
      body.push(text(labelWidth + width + 6, y + barHeight - 3, formatNumber(v), 'class="bar-value"', 10));
    });
  });
  body.push(
    ...legend(
      labelWidth,
      bottom + 58,
      keys.map((k, i) => ({ label: k, fill: palette[i]! })),
    ).svg,
  );
  return document(chartWidth, bottom + 70, opts.title, body);
}

export interface LineSeries {
  name: string;
  unit: string;
  points: Array<[number, number]>;
}

/** Lines over time, one panel per unit (stacked, sharing the time axis), a legend per panel. */
export function lineChart(opts: { title: string; series: LineSeries[] }): string {
  const units = [...new Set(opts.series.map((s) => s.unit))];
  const left = 80;
  const plotWidth = chartWidth - left - 40;
  const panelHeight = 170;
  const allT = opts.series.flatMap((s) => s.points.map(([t]) => t)).filter(Number.isFinite);
  const xScale = niceScale(Math.max(0, ...allT));
  const body: string[] = [];
  let colour = 0;
  // Each panel: its legend (wrapping as needed), the plot, the time axis below it.
  let y = 48;
  for (const unit of units) {
    const series = opts.series.filter((s) => s.unit === unit);
    const strokes = series.map(() => palette[colour++ % palette.length]!);
    const key = legend(
      left,
      y,
      series.map((s, i) => ({ label: s.name, fill: strokes[i]! })),
      plotWidth,
    );
    body.push(...key.svg);
    const py = y + key.height;
    const bottom = py + panelHeight;
    const yScale = niceScale(Math.max(0, ...series.flatMap((s) => s.points.map(([, v]) => v)).filter(Number.isFinite)), 4);
    for (const t of yScale.ticks) {
      const ty = bottom - (t / yScale.max) * panelHeight;
      body.push(`<line x1="${left}" y1="${r1(ty)}" x2="${left + plotWidth}" y2="${r1(ty)}" stroke="#e5e7eb"/>`);
      body.push(text(left - 6, ty + 4, formatNumber(t), 'text-anchor="end" class="tick"'));
    }
    body.push(text(18, py + panelHeight / 2, unit, `text-anchor="middle" transform="rotate(-90 18 ${r1(py + panelHeight / 2)})" class="axis-label"`));
    body.push(...valueAxis(left, plotWidth, py, bottom, xScale, 'seconds since the scenario started'));
    series.forEach((s, i) => {
      const pts = s.points
        .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v))
        .map(([t, v]) => `${r1(left + (t / xScale.max) * plotWidth)},${r1(bottom - (v / yScale.max) * panelHeight)}`);
      body.push(
        `<polyline class="series" fill="none" stroke="${strokes[i]}" stroke-width="2" points="${pts.join(' ')}" data-name="${escapeXml(s.name)}" data-unit="${escapeXml(unit)}"/>`,
      );
    });
    y = bottom + 56;
  }
  return document(chartWidth, y, opts.title, body);
}
