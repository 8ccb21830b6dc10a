import {
  evaluateRatio,
  formatNumber,
  formatRatioValue,
  measurementsTable,
  ratiosTable,
  runMarkdown,
  scenarioMarkdown,
  type RunRecord,
} from '../../harness/report';
import type { ScenarioResult } from '../../harness/scenario';

const result: ScenarioResult = {
  scenario: 'ingest-single',
  description: 'Single-event ingest.',
  rows: [
    {
      label: 'bare express 202 c=64',
      ceiling: true,
      throughput: { value: 8506.4, unit: 'req/s' },
      latencyMs: { p50: 4, p99: 57 },
      errors: 0,
      extra: { connections: 64 },
    },
    {
      label: 'floodgate single c=64',
      ceiling: false,
      throughput: { value: 4266, unit: 'req/s' },
      latencyMs: { p50: 12.25, p99: 88 },
      errors: 3,
      extra: { connections: 64, note: 'a|b' },
    },
    { label: 'no latency', ceiling: false },
  ],
  ratios: [
    { name: 'single / bare', value: 0.5, target: 0.5 },
    { name: 'p99', value: 12, target: 10, comparison: '<=', unit: 'ms' },
    { name: 'info only', value: 0.25 },
  ],
  notes: ['autocannon, 3 s per level'],
};

/** The cells of a Markdown table's body rows (header and separator dropped), with escaped pipes restored. */
function cells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .slice(2)
    .map((line) =>
      line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((c) => c.replace(/\\\|/g, '|')),
    );
}

describe('the Markdown report', () => {
  it('formats numbers by magnitude and marks missing ones', () => {
    expect(formatNumber(36670.4)).toBe('36,670');
    expect(formatNumber(36.25)).toBe('36.3');
    expect(formatNumber(0.8123)).toBe('0.81');
    expect(formatNumber(Number.NaN)).toBe('n/a');
  });

  it('judges >= ratios and <= upper bounds against their targets, and leaves ratios without a target unjudged', () => {
    expect(evaluateRatio({ name: 'a', value: 0.5, target: 0.5 })).toBe('pass');
    expect(evaluateRatio({ name: 'a', value: 0.49, target: 0.5 })).toBe('fail');
    expect(evaluateRatio({ name: 'a', value: 10, target: 10, comparison: '<=' })).toBe('pass');
    expect(evaluateRatio({ name: 'a', value: 10.1, target: 10, comparison: '<=' })).toBe('fail');
    expect(evaluateRatio({ name: 'a', value: Number.NaN, target: 0.5 })).toBe('fail');
    expect(evaluateRatio({ name: 'a', value: 3 })).toBe('none');
  });

  it('shows fractions as percentages and values with a unit as numbers with that unit', () => {
    expect(formatRatioValue({ name: 'a', value: 0.5015 })).toBe('50.1 %');
    expect(formatRatioValue({ name: 'a', value: 8.2, comparison: '<=', unit: 'ms' })).toBe('8.2 ms');
    expect(formatRatioValue({ name: 'a', value: 12000, comparison: '>=', unit: 'connections' })).toBe('12,000 connections');
    expect(formatRatioValue({ name: 'a', value: 7, comparison: '<=' })).toBe('7');
  });

  it('has one row per level with throughput, p50/p99, errors and every extra key as a column', () => {
    const table = measurementsTable(result);
    expect(table.split('\n')[0]).toBe('| level | throughput | p50 ms | p99 ms | errors | connections | note |');
    expect(cells(table)).toEqual([
      ['bare express 202 c=64 (ceiling)', '8,506 req/s', '4', '57', '0', '64', ''],
      ['floodgate single c=64', '4,266 req/s', '12.3', '88', '3', '64', 'a|b'],
      ['no latency', '—', '—', '—', '—', '', ''],
    ]);
  });

  it('lists every ratio with its value, target and ✅/❌', () => {
    expect(cells(ratiosTable(result.ratios))).toEqual([
      ['single / bare', '50.0 %', '>= 50.0 %', '✅'],
      ['p99', '12 ms', '<= 10 ms', '❌'],
      ['info only', '25.0 %', '—', '—'],
    ]);
  });

  it('puts the description, both tables and the notes in a scenario section', () => {
    const md = scenarioMarkdown(result);
    expect(md.startsWith('### ingest-single\n\nSingle-event ingest.\n\n| level |')).toBe(true);
    expect(md).toContain('| ratio | value | target | met |');
    expect(md.endsWith('- autocannon, 3 s per level')).toBe(true);
  });

  it('states the machine, load and profile of a run and marks a failed scenario with its error', () => {
    const run: RunRecord = {
      startedAt: '2026-11-23T05:00:00.000Z',
      finishedAt: '2026-11-23T05:04:00.000Z',
      profile: 'quick',
      secondsPerLevel: 3,
      machine: { hostname: 'h', platform: 'Linux', cpus: 2, cpuModel: 'Xeon', memoryGiB: 23.5, node: '24.21.0', gitCommit: 'abc123', gitDirty: true },
      loadAverage: { before: [1.5, 1, 0.5], after: [2.25, 1.5, 1] },
      servers: ['kafka', 'postgres'],
      scenarios: [
        { name: 'ingest-single', status: 'completed', seconds: 19.4, result, plots: ['ingest-single.throughput.svg'] },
        { name: 'fake-broken', status: 'failed', seconds: 1.2, error: 'boom | bang' },
      ],
    };
    const md = runMarkdown(run);
    expect(md).toContain('- profile: quick (3 s per load level)');
    expect(md).toContain('- machine: 2 × Xeon, 23.5 GiB, Linux, Node 24.21.0');
    expect(md).toContain('- commit: abc123 (with uncommitted changes)');
    expect(md).toContain('before 1.50 / 1.00 / 0.50, after 2.25 / 1.50 / 1.00');
    expect(md).toContain('- scenarios: 1 completed, 1 failed');
    expect(md).toContain('[ingest-single.throughput.svg](ingest-single.throughput.svg)');
    expect(md).toContain('### fake-broken\n\n**FAILED** after 1.2 s: boom \\| bang');
  });
});
