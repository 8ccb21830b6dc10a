import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(__dirname, '../../../..');
const rulesFile = path.join(root, 'charts/floodgate/files/prometheus-rules.yaml');
const rulesTestFile = path.join(root, 'charts/floodgate/files/prometheus-rules.test.yaml');
const runbooks = path.join(root, 'docs/runbooks.md');

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  annotations?: Record<string, string>;
}

function promtool(...args: string[]) {
  return spawnSync('promtool', args, { cwd: path.dirname(rulesFile), encoding: 'utf8', timeout: 60000 });
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

const rules: Rule[] = (parse(fs.readFileSync(rulesFile, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const headings = new Set(
  fs
    .readFileSync(runbooks, 'utf8')
    .split('\n')
    .filter((l) => /^#{1,6} /.test(l))
    .map((l) => anchor(l.replace(/^#+ /, ''))),
);

describe('Prometheus rules', () => {
  it('pass promtool check rules', () => {
    const result = promtool('check', 'rules', rulesFile);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    const result = promtool('test', 'rules', rulesTestFile);
    expect(result.stdout + result.stderr).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('test every alert at least once', () => {
    const tested = fs.readFileSync(rulesTestFile, 'utf8');
    const untested = alerts.map((a) => a.alert!).filter((name) => !tested.includes(`alertname: ${name}\n`));
    expect(untested).toEqual([]);
  });

  it.each(alerts.map((a) => [a.alert!, a] as const))('%s links to a runbook section that exists', (_name, alert) => {
    const url = alert.annotations?.runbook_url ?? '';
    expect(url).toMatch(/\/docs\/runbooks\.md#[a-z0-9-]+$/);
    expect(headings).toContain(url.split('#')[1]);
  });

  it('every link inside the runbooks points at an existing section', () => {
    const links = [...fs.readFileSync(runbooks, 'utf8').matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((l) => !headings.has(l))).toEqual([]);
  });
});
