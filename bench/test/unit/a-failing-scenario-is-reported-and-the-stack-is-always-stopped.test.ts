import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Discovered } from '../../harness/discover';
import { runFolderName, runHarness, type HarnessOptions, type StackControl } from '../../harness/harness';
import type { RunRecord } from '../../harness/report';
import type { Scenario, ScenarioContext, ScenarioResult } from '../../harness/scenario';

/** A fake stack: records what the harness asked of it; no server is started. */
function fakeStack(opts: { failUp?: boolean } = {}) {
  const calls: string[] = [];
  const stack: StackControl = {
    up: async (servers) => {
      calls.push(`up ${servers.join(',')}`);
      if (opts.failUp) throw new Error('fake: kafka did not start');
      return { KAFKA_BROKERS: '127.0.0.1:1' };
    },
    down: async () => {
      calls.push('down');
    },
  };
  return { stack, calls };
}

const fakeResult = (name: string): ScenarioResult => ({
  scenario: name,
  description: 'fake',
  rows: [
    { label: 'fake ceiling', ceiling: true, throughput: { value: 100, unit: 'req/s' }, latencyMs: { p50: 1, p99: 2 } },
    { label: 'fake measured', ceiling: false, throughput: { value: 60, unit: 'req/s' }, latencyMs: { p50: 2, p99: 4 } },
  ],
  ratios: [{ name: 'measured / ceiling', value: 0.6, target: 0.5 }],
});

function fakeScenario(name: string, run: (ctx: ScenarioContext) => Promise<ScenarioResult>, needs: Scenario['needs'] = ['kafka']): Discovered {
  return { name, file: `${name}.ts`, scenario: { name, description: `fake scenario ${name}`, needs, run } };
}

describe('the harness', () => {
  let root: string;
  const log: string[] = [];
  const options = (scenarios: Discovered[], stack: StackControl, extra: Partial<HarnessOptions> = {}): HarnessOptions => ({
    scenarios,
    quick: true,
    seconds: 3,
    resultsRoot: root,
    stack,
    machine: () => ({ hostname: 'fake', platform: 'fake', cpus: 2, cpuModel: 'fake', memoryGiB: 1, node: '24', gitCommit: 'fake', gitDirty: false }),
    loadAverage: () => [1, 1, 1],
    log: (line) => log.push(line),
    ...extra,
  });
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-harness-'));
    log.length = 0;
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('records a throwing scenario as failed, runs the next one, stops the stack once and exits non-zero', async () => {
    const { stack, calls } = fakeStack();
    const seen: ScenarioContext[] = [];
    const report = await runHarness(
      options(
        [
          fakeScenario('fake-throws', async () => {
            calls.push('run fake-throws');
            throw new Error('fake scenario failure');
          }),
          { name: 'fake-broken-file', file: 'fake-broken-file.ts', error: 'fake-broken-file.ts does not default-export a Scenario object' },
          fakeScenario(
            'fake-works',
            async (ctx) => {
              calls.push('run fake-works');
              seen.push(ctx);
              return fakeResult('fake-works');
            },
            ['redis', 'kafka'],
          ),
        ],
        stack,
      ),
    );
    expect(calls).toEqual(['up kafka,redis', 'run fake-throws', 'run fake-works', 'down']);
    expect(report.exitCode).toBe(1);
    expect(seen[0]).toMatchObject({ quick: true, seconds: 3, stack: { KAFKA_BROKERS: '127.0.0.1:1' }, runDir: report.runDir });

    const record = JSON.parse(fs.readFileSync(path.join(report.runDir, 'results.json'), 'utf8')) as RunRecord;
    expect(record.scenarios.map((s) => [s.name, s.status])).toEqual([
      ['fake-throws', 'failed'],
      ['fake-broken-file', 'failed'],
      ['fake-works', 'completed'],
    ]);
    expect(record.scenarios[0]).toMatchObject({ error: 'fake scenario failure' });
    expect(record.scenarios[1]).toMatchObject({ error: expect.stringContaining('does not default-export') });
    expect(record).toMatchObject({ profile: 'quick', secondsPerLevel: 3, servers: ['kafka', 'redis'], loadAverage: { before: [1, 1, 1], after: [1, 1, 1] } });

    const md = fs.readFileSync(path.join(report.runDir, 'results.md'), 'utf8');
    expect(md).toContain('### fake-throws\n\n**FAILED**');
    expect(md).toContain('| measured / ceiling | 60.0 % | >= 50.0 % | ✅ |');
    expect(fs.readdirSync(report.runDir).sort()).toEqual(['fake-works.latency.svg', 'fake-works.throughput.svg', 'results.json', 'results.md']);
    expect(fs.readlinkSync(path.join(root, 'latest'))).toBe(path.basename(report.runDir));
  });

  it('exits 0 when every scenario completes, whatever the targets say, and points latest at the newest run', async () => {
    const { stack } = fakeStack();
    const missed = async () => ({ ...fakeResult('fake-misses'), ratios: [{ name: 'r', value: 0.1, target: 0.5 }] });
    const first = await runHarness(options([fakeScenario('fake-misses', missed)], stack, { now: () => new Date('2026-11-23T05:00:00Z') }));
    const second = await runHarness(options([fakeScenario('fake-misses', missed)], stack, { now: () => new Date('2026-11-23T06:00:00Z') }));
    expect([first.exitCode, second.exitCode]).toEqual([0, 0]);
    expect(path.basename(second.runDir)).toBe(runFolderName(new Date('2026-11-23T06:00:00Z')));
    expect(fs.readlinkSync(path.join(root, 'latest'))).toBe('2026-11-23T06-00-00-000Z');
    expect(second.markdown).toContain('| r | 10.0 % | >= 50.0 % | ❌ |');
  });

  it('when the stack does not start, marks every scenario as not run and still stops what did start', async () => {
    const { stack, calls } = fakeStack({ failUp: true });
    const report = await runHarness(options([fakeScenario('fake-a', async () => fakeResult('fake-a'))], stack));
    expect(calls).toEqual(['up kafka', 'down']);
    expect(report.exitCode).toBe(1);
    expect(report.record.scenarios[0]).toMatchObject({ status: 'failed', error: 'not run: the stack did not start: fake: kafka did not start' });
  });

  it('on an abort, ends the running scenario, skips the rest, stops the stack, writes the results and exits 130', async () => {
    const { stack, calls } = fakeStack();
    const abort = new AbortController();
    let cleanups = 0;
    const report = await runHarness(
      options(
        [
          fakeScenario('fake-done', async () => fakeResult('fake-done')),
          fakeScenario('fake-hangs', () => {
            abort.abort();
            return new Promise<ScenarioResult>(() => undefined);
          }),
          fakeScenario('fake-never', async () => {
            calls.push('run fake-never');
            return fakeResult('fake-never');
          }),
        ],
        stack,
        { signal: abort.signal, afterScenario: async () => void (cleanups += 1) },
      ),
    );
    expect(report.exitCode).toBe(130);
    expect(calls).toEqual(['up kafka', 'down']);
    expect(cleanups).toBe(2);
    expect(report.record.scenarios.map((s) => [s.name, s.status, s.status === 'failed' ? s.error : ''])).toEqual([
      ['fake-done', 'completed', ''],
      ['fake-hangs', 'failed', 'interrupted (Ctrl-C or SIGTERM)'],
      ['fake-never', 'failed', 'not run: the run was interrupted'],
    ]);
    expect(fs.existsSync(path.join(report.runDir, 'results.json'))).toBe(true);
  });

  it('on an abort while the stack starts, lets it finish starting, then stops it and runs nothing', async () => {
    const abort = new AbortController();
    const calls: string[] = [];
    const stack: StackControl = {
      up: async () => {
        abort.abort();
        await new Promise((r) => setTimeout(r, 20));
        calls.push('up finished');
        return {};
      },
      down: async () => void calls.push('down'),
    };
    const report = await runHarness(options([fakeScenario('fake-a', async () => fakeResult('fake-a'))], stack, { signal: abort.signal }));
    expect(calls).toEqual(['up finished', 'down']);
    expect(report.exitCode).toBe(130);
    expect(report.record.scenarios[0]).toMatchObject({ status: 'failed', error: 'not run: the run was interrupted' });
  });

  it('rejects a result that belongs to another scenario or lacks rows and ratios', async () => {
    const { stack } = fakeStack();
    const report = await runHarness(
      options(
        [
          fakeScenario('fake-wrong-name', async () => fakeResult('fake-other')),
          fakeScenario('fake-no-rows', async () => ({ scenario: 'fake-no-rows' }) as unknown as ScenarioResult),
        ],
        stack,
      ),
    );
    expect(report.record.scenarios.map((s) => (s.status === 'failed' ? s.error : 'completed'))).toEqual([
      'fake-wrong-name returned a result for "fake-other"',
      'fake-no-rows returned a result without rows and ratios',
    ]);
  });
});
