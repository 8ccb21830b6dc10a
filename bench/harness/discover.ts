/**
 * Finds the scenarios: every `<name>.ts` in bench/scenarios default-exports a `Scenario` whose `name` is the file's
 * name; they run in `order` (then by name). A file that does not load or does not export one is not fatal: it becomes a broken entry the harness reports
 * as a failed scenario, so one bad file cannot hide the others' results.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Scenario } from './scenario';

export type Discovered = { name: string; file: string; scenario: Scenario } | { name: string; file: string; error: string };

const servers = new Set(['kafka', 'postgres', 'redis', 'kube']);

/** Why `value` is not a valid scenario for `file`, or undefined when it is. */
export function scenarioProblem(value: unknown, expectedName: string): string | undefined {
  if (typeof value !== 'object' || value === null) return 'does not default-export a Scenario object';
  const s = value as Partial<Scenario>;
  if (typeof s.name !== 'string' || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(s.name)) return `has no kebab-case name (got ${JSON.stringify(s.name)})`;
  if (s.name !== expectedName) return `is named "${s.name}" but its file is ${expectedName}.ts (the name selects it on the command line)`;
  if (typeof s.description !== 'string' || s.description.length === 0) return 'has no description';
  if (!Array.isArray(s.needs) || !s.needs.every((n) => servers.has(n)))
    return `needs unknown servers (got ${JSON.stringify(s.needs)}; known: ${[...servers].join(', ')})`;
  if (typeof s.run !== 'function') return 'has no run(ctx) function';
  if (s.order !== undefined && !Number.isFinite(s.order)) return `has an order that is not a number (got ${JSON.stringify(s.order)})`;
  return undefined;
}

export async function discoverScenarios(dir: string): Promise<Discovered[]> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .sort();
  const found: Discovered[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    const name = f.slice(0, -'.ts'.length);
    try {
      const mod = (await import(file)) as { default?: unknown };
      // tsx/CommonJS interop can wrap the module once more.
      const value = (mod.default as { default?: unknown } | undefined)?.default ?? mod.default;
      const problem = scenarioProblem(value, name);
      found.push(problem ? { name, file, error: `${f} ${problem}` } : { name, file, scenario: value as Scenario });
    } catch (err) {
      found.push({ name, file, error: `${f} did not load: ${(err as Error).stack ?? String(err)}` });
    }
  }
  // Run order: Scenario.order (default 100), then the name; broken entries by name among the defaults.
  const order = (d: Discovered) => ('scenario' in d ? (d.scenario.order ?? 100) : 100);
  return found.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}

/**
 * The scenarios a run asks for, in discovery order: all of them without a selection, else the named ones; an unknown
 * name is an error that lists the known ones (a typo must not silently run nothing).
 */
export function selectScenarios(all: Discovered[], selection: string[] | undefined): Discovered[] {
  if (!selection || selection.length === 0) return all;
  const unknown = selection.filter((n) => !all.some((d) => d.name === n));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${all.map((d) => d.name).join(', ')}`);
  return all.filter((d) => selection.includes(d.name));
}

/** `SCENARIOS=a,b` -> ['a', 'b']; empty or unset -> undefined (all). */
export function parseSelection(value: string | undefined): string[] | undefined {
  const names = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return names.length > 0 ? names : undefined;
}

/** The stack servers a set of scenarios needs, each once, in a stable order. */
export function serversNeeded(scenarios: Scenario[]): Array<Scenario['needs'][number]> {
  const order = ['kafka', 'postgres', 'redis', 'kube'] as const;
  return order.filter((s) => scenarios.some((sc) => sc.needs.includes(s)));
}
