/**
 * The Markdown side of a run: numbers formatted for people, ratios judged against their targets, one table of
 * measurements and one of ratios per scenario. Pure functions (no I/O), so the unit tests pin them down.
 */
import type { Ratio, ResultRow, ScenarioResult } from './scenario';

/** 4266.4 -> "4,266"; 36.25 -> "36.3"; 0.8123 -> "0.81". Not-a-number (a level without samples) -> "n/a". */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export type Verdict = 'pass' | 'fail' | 'none';

/** Whether a ratio meets its target: `>=` (the default) for fractions of a ceiling, `<=` for upper bounds. */
export function evaluateRatio(r: Ratio): Verdict {
  if (r.target === undefined) return 'none';
  if (!Number.isFinite(r.value)) return 'fail';
  return (r.comparison ?? '>=') === '<=' ? (r.value <= r.target ? 'pass' : 'fail') : r.value >= r.target ? 'pass' : 'fail';
}

/** A ratio's value as written in the tables: a percentage for fractions, the number and its unit otherwise. */
export function formatRatioValue(r: Ratio, value = r.value): string {
  if (r.unit !== undefined) return `${formatNumber(value)} ${r.unit}`;
  if ((r.comparison ?? '>=') === '<=') return formatNumber(value);
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : 'n/a';
}

export function formatTarget(r: Ratio): string {
  if (r.target === undefined) return '—';
  return `${r.comparison ?? '>='} ${formatRatioValue(r, r.target)}`;
}

const verdictMark: Record<Verdict, string> = { pass: '✅', fail: '❌', none: '—' };

/** Escapes what would break a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)].join('\n');
}

function throughputText(row: ResultRow): string {
  return row.throughput ? `${formatNumber(row.throughput.value)} ${row.throughput.unit}` : '—';
}

/** The measurements: one row per load level; `extra` keys become columns (in order of first appearance). */
export function measurementsTable(result: ScenarioResult): string {
  const extraKeys: string[] = [];
  for (const row of result.rows) for (const key of Object.keys(row.extra ?? {})) if (!extraKeys.includes(key)) extraKeys.push(key);
  const header = ['level', 'throughput', 'p50 ms', 'p99 ms', 'errors', ...extraKeys];
  const rows = result.rows.map((row) => [
    row.ceiling ? `${row.label} (ceiling)` : row.label,
    throughputText(row),
    row.latencyMs ? formatNumber(row.latencyMs.p50) : '—',
    row.latencyMs ? formatNumber(row.latencyMs.p99) : '—',
    row.errors === undefined ? '—' : formatNumber(row.errors),
    ...extraKeys.map((key) => {
      const v = row.extra?.[key];
      return v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : v;
    }),
  ]);
  return table(header, rows);
}

/** The ratios against the ceilings, each with its target and ✅/❌ (— where the issue sets no target). */
export function ratiosTable(ratios: Ratio[]): string {
  return table(
    ['ratio', 'value', 'target', 'met'],
    ratios.map((r) => [r.name, formatRatioValue(r), formatTarget(r), verdictMark[evaluateRatio(r)]]),
  );
}

export function scenarioMarkdown(result: ScenarioResult): string {
  const parts = [`### ${result.scenario}`, '', result.description, '', measurementsTable(result)];
  if (result.ratios.length > 0) parts.push('', ratiosTable(result.ratios));
  if (result.notes?.length) parts.push('', ...result.notes.map((n) => `- ${n}`));
  return parts.join('\n');
}

/** What the harness knows about one scenario after running it (or failing to). */
export type ScenarioOutcome =
  | { name: string; status: 'completed'; seconds: number; result: ScenarioResult; plots: string[] }
  | { name: string; status: 'failed'; seconds: number; error: string };

export interface MachineInfo {
  hostname: string;
  platform: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  gitCommit: string;
  gitDirty: boolean;
}

export interface RunRecord {
  startedAt: string;
  finishedAt: string;
  profile: 'quick' | 'full';
  secondsPerLevel: number;
  machine: MachineInfo;
  /** 1/5/15-minute load averages: other work on the machine skews every absolute number. */
  loadAverage: { before: number[]; after: number[] };
  servers: string[];
  scenarios: ScenarioOutcome[];
  /** What went wrong outside any scenario (stopping the stack, writing a plot). */
  problems?: string[];
}

const loads = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

export function runMarkdown(run: RunRecord): string {
  const m = run.machine;
  const failed = run.scenarios.filter((s) => s.status === 'failed');
  const lines = [
    `# Benchmark run ${run.startedAt}`,
    '',
    `- profile: ${run.profile} (${run.secondsPerLevel} s per load level)`,
    `- machine: ${m.cpus} × ${m.cpuModel}, ${formatNumber(m.memoryGiB)} GiB, ${m.platform}, Node ${m.node}`,
    `- commit: ${m.gitCommit}${m.gitDirty ? ' (with uncommitted changes)' : ''}`,
    `- load average (1/5/15 min): before ${loads(run.loadAverage.before)}, after ${loads(run.loadAverage.after)}`,
    `- stack servers: ${run.servers.join(', ') || 'none'}`,
    `- scenarios: ${run.scenarios.length - failed.length} completed, ${failed.length} failed`,
    ...(run.problems ?? []).map((p) => `- **problem:** ${p}`),
  ];
  for (const s of run.scenarios) {
    lines.push('');
    if (s.status === 'completed') {
      lines.push(scenarioMarkdown(s.result), '', `Took ${formatNumber(s.seconds)} s.`);
      if (s.plots.length) lines.push(`Plots: ${s.plots.map((p) => `[${p}](${p})`).join(', ')}`);
    } else {
      lines.push(`### ${s.name}`, '', `**FAILED** after ${formatNumber(s.seconds)} s: ${cell(s.error)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
