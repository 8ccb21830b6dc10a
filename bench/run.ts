/**
 * `make bench`: the one benchmark harness. Discovers the scenarios in bench/scenarios/, starts the union of the stack
 * servers they need once (in FLOODGATE_STATE_DIR, .floodgate/bench-stack under `make bench`), runs them one after
 * another, always stops the stack, and writes bench/results/<timestamp>/ (results.json, results.md, SVG plots) with
 * bench/results/latest pointing at it. Prints the Markdown tables and the paths at the end.
 *
 *   QUICK=1            the short profile (a few minutes): shorter levels, fewer events
 *   SCENARIOS=a,b      only these scenarios (names as in bench/scenarios/<name>.ts)
 *   BENCH_SECONDS=n    seconds per load level (default 10, QUICK 3)
 *
 * Exit status: 0 when every scenario completed (targets missed are results, not failures), 1 when a scenario failed,
 * 2 for a bad selection, 130 when interrupted.
 */
import path from 'node:path';
import os from 'node:os';
import { down, stackEnv, up } from '@floodgate/devstack';
import { discoverScenarios, parseSelection, selectScenarios, type Discovered } from './harness/discover';
import { runHarness } from './harness/harness';
import { machineInfo } from './harness/machine';
import { stopAllChildren } from './harness/resources';
import { root } from './harness/services';

async function main(): Promise<number> {
  const quick = process.env.QUICK === '1' || process.env.QUICK === 'true';
  const seconds = Number(process.env.BENCH_SECONDS || (quick ? 3 : 10));
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`BENCH_SECONDS must be a positive number (got ${process.env.BENCH_SECONDS})`);
  const dir = path.resolve(process.env.FLOODGATE_STATE_DIR || path.join(root, '.floodgate', 'bench-stack'));
  const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

  const all = await discoverScenarios(path.join(root, 'bench', 'scenarios'));
  let selected: Discovered[];
  try {
    selected = selectScenarios(all, parseSelection(process.env.SCENARIOS));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  log(`${quick ? 'QUICK' : 'full'} profile, ${seconds} s per load level, scenarios: ${selected.map((s) => s.name).join(', ')}; stack in ${dir}`);

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log(`${signal} again: exiting now (the stack may still run: FLOODGATE_STATE_DIR=${dir} npm run stack -- down)`);
      process.exit(130);
    }
    log(`${signal}: stopping the scenario's processes and the stack (again to exit at once)`);
    abort.abort();
    void stopAllChildren(3000);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const report = await runHarness({
    scenarios: selected,
    quick,
    seconds,
    resultsRoot: path.join(root, 'bench', 'results'),
    stack: {
      up: async (servers) => stackEnv(await up({ dir, servers, log: (l) => log(`[stack] ${l}`) })),
      down: () => down({ dir, log: (l) => log(`[stack] ${l}`) }),
    },
    machine: () => machineInfo(root),
    loadAverage: () => os.loadavg().map((l) => Math.round(l * 100) / 100),
    log,
    signal: abort.signal,
    afterScenario: () => stopAllChildren(5000),
  });
  await stopAllChildren(3000);

  process.stdout.write(`\n${report.markdown}\n`);
  process.stdout.write(`results (bench/results/latest -> ${path.basename(report.runDir)}):\n`);
  for (const file of report.files) process.stdout.write(`  ${path.relative(process.cwd(), file)}\n`);
  const failed = report.record.scenarios.filter((s) => s.status === 'failed');
  if (failed.length) process.stdout.write(`FAILED: ${failed.map((s) => s.name).join(', ')}\n`);
  return report.exitCode;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench failed: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
