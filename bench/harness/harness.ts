/**
 * The harness proper: start the union of the stack servers the scenarios need once, run the scenarios one after
 * another, and ALWAYS stop the stack again. A scenario that throws (or a file that is not a scenario) is recorded as
 * failed and the run goes on; the exit code says whether anything failed. An abort (Ctrl-C) ends the scenario in
 * progress, marks the rest as not run, stops the stack and still writes what was measured.
 *
 * The stack and the machine facts come in as functions, so the unit tests drive this with fakes named as such.
 */
import fs from 'node:fs';
import path from 'node:path';
import { serversNeeded, type Discovered } from './discover';
import { plotsFor } from './plots';
import { runMarkdown, type MachineInfo, type RunRecord, type ScenarioOutcome } from './report';
import type { ScenarioContext, ScenarioResult, StackEnvironment } from './scenario';

export interface StackControl {
  /** Starts (or reuses) the servers and returns their connection settings. */
  up(servers: string[]): Promise<StackEnvironment>;
  down(): Promise<void>;
}

export interface HarnessOptions {
  scenarios: Discovered[];
  quick: boolean;
  seconds: number;
  /** bench/results: the run writes into <resultsRoot>/<timestamp>/ and points <resultsRoot>/latest at it. */
  resultsRoot: string;
  stack: StackControl;
  machine: () => MachineInfo;
  loadAverage: () => number[];
  log: (line: string) => void;
  /** Aborted on Ctrl-C / SIGTERM. */
  signal?: AbortSignal;
  /** Runs after every scenario (and on abort): stops processes a scenario left behind. */
  afterScenario?: () => Promise<void>;
  now?: () => Date;
}

export interface HarnessReport {
  runDir: string;
  record: RunRecord;
  markdown: string;
  /** Paths of everything written (results.json, results.md, the SVGs). */
  files: string[];
  /** 0: every scenario completed; 1: something failed; 130: interrupted. */
  exitCode: number;
}

/** 2026-11-23T05:50:32.123Z -> 2026-11-23T05-50-32-123Z (a folder name that sorts by time). */
export function runFolderName(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C or SIGTERM)');
  }
}

/** Resolves or rejects with `work`, or rejects as soon as `signal` aborts. */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(new Interrupted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Interrupted());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

function resultProblem(result: unknown, name: string): string | undefined {
  const r = result as Partial<ScenarioResult> | undefined;
  if (!r || typeof r !== 'object') return 'returned no result';
  if (!Array.isArray(r.rows) || !Array.isArray(r.ratios)) return 'returned a result without rows and ratios';
  if (r.scenario !== name) return `returned a result for "${String(r.scenario)}"`;
  return undefined;
}

/** Points <root>/latest at the newest run (a relative symlink, replaced atomically). */
function pointLatest(resultsRoot: string, runDir: string): void {
  const latest = path.join(resultsRoot, 'latest');
  const tmp = `${latest}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  fs.symlinkSync(path.basename(runDir), tmp);
  fs.renameSync(tmp, latest);
}

export async function runHarness(o: HarnessOptions): Promise<HarnessReport> {
  const now = o.now ?? (() => new Date());
  const startedAt = now();
  const runDir = path.join(o.resultsRoot, runFolderName(startedAt));
  fs.mkdirSync(runDir, { recursive: true });
  const files: string[] = [];
  const loadBefore = o.loadAverage();
  const runnable = o.scenarios.flatMap((d) => ('scenario' in d ? [d.scenario] : []));
  const servers = serversNeeded(runnable);
  const outcomes: ScenarioOutcome[] = [];
  const problems: string[] = [];
  const failed = (name: string, seconds: number, error: string): ScenarioOutcome => ({ name, status: 'failed', seconds, error });

  try {
    let stackEnv: StackEnvironment | undefined;
    let stackError: string | undefined;
    if (runnable.length > 0) {
      o.log(`starting the stack: ${servers.join(', ') || '(no servers)'}`);
      try {
        // Not cut short by an abort: a half-started stack is only stopped cleanly once its state is recorded.
        stackEnv = await o.stack.up(servers);
      } catch (err) {
        stackError = message(err);
        o.log(`the stack did not start: ${stackError}`);
      }
    }
    for (const d of o.scenarios) {
      if ('error' in d) {
        o.log(`${d.name}: not a scenario: ${d.error}`);
        outcomes.push(failed(d.name, 0, d.error));
        continue;
      }
      if (o.signal?.aborted) {
        outcomes.push(failed(d.name, 0, 'not run: the run was interrupted'));
        continue;
      }
      if (stackError !== undefined || !stackEnv) {
        outcomes.push(failed(d.name, 0, `not run: the stack did not start: ${stackError ?? 'unknown error'}`));
        continue;
      }
      const ctx: ScenarioContext = {
        quick: o.quick,
        seconds: o.seconds,
        stack: stackEnv,
        runDir,
        log: (line) => o.log(`[${d.name}] ${line}`),
      };
      o.log(`== ${d.name}: ${d.scenario.description}`);
      const t0 = performance.now();
      const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
      try {
        const result = await unlessAborted(
          Promise.resolve().then(() => d.scenario.run(ctx)),
          o.signal,
        );
        const problem = resultProblem(result, d.name);
        if (problem) throw new Error(`${d.name} ${problem}`);
        const plots: string[] = [];
        try {
          for (const plot of plotsFor(result)) {
            const file = path.join(runDir, plot.file);
            fs.writeFileSync(file, plot.svg);
            files.push(file);
            plots.push(plot.file);
          }
        } catch (err) {
          problems.push(`plots of ${d.name} failed: ${message(err)}`);
        }
        outcomes.push({ name: d.name, status: 'completed', seconds: seconds(), result, plots });
        o.log(`${d.name}: completed in ${seconds()} s`);
      } catch (err) {
        outcomes.push(failed(d.name, seconds(), message(err)));
        o.log(`${d.name}: FAILED after ${seconds()} s: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      } finally {
        await o.afterScenario?.().catch((err: unknown) => problems.push(`cleanup after ${d.name} failed: ${message(err)}`));
      }
    }
  } finally {
    if (runnable.length > 0) {
      try {
        await o.stack.down();
        o.log('stack stopped');
      } catch (err) {
        problems.push(`stopping the stack failed: ${message(err)}`);
        o.log(`stopping the stack failed: ${message(err)}`);
      }
    }
  }

  const record: RunRecord = {
    startedAt: startedAt.toISOString(),
    finishedAt: now().toISOString(),
    profile: o.quick ? 'quick' : 'full',
    secondsPerLevel: o.seconds,
    machine: o.machine(),
    loadAverage: { before: loadBefore, after: o.loadAverage() },
    servers,
    scenarios: outcomes,
    ...(problems.length ? { problems } : {}),
  };
  const markdown = runMarkdown(record);
  const json = path.join(runDir, 'results.json');
  const md = path.join(runDir, 'results.md');
  fs.writeFileSync(json, `${JSON.stringify(record, null, 2)}\n`);
  fs.writeFileSync(md, markdown);
  files.unshift(json, md);
  pointLatest(o.resultsRoot, runDir);
  const exitCode = o.signal?.aborted ? 130 : outcomes.some((s) => s.status === 'failed') || problems.length > 0 ? 1 : 0;
  return { runDir, record, markdown, files, exitCode };
}
