/**
 * Whose CPU it is on a machine that runs the whole stack: each process is put in a group by its command line (the
 * API, the worker, the broker, PostgreSQL, Redis, the benchmark itself, other), each of the broker's threads by its
 * name with the numbers taken out (its 2 "C2 CompilerThread"s count as one), and two samples of CPU seconds become
 * percent of one core. Pure; bench/tools/stack-cpu-sampler.ts reads /proc and prints them.
 */

/** Groups, first match wins; a process matching none is "other". */
export const processGroups: ReadonlyArray<readonly [string, RegExp]> = [
  ['kafka', /\bkafka\.Kafka\b/],
  ['pg', /^postgres(:|\s|$)|\/postgres\s/],
  ['redis', /^redis-server\b|\/redis-server\b/],
  ['api', /services\/api\/src\/main\.ts/],
  ['worker', /services\/worker\/src\/main\.ts/],
  ['bench', /bench\/run\.ts/],
];

/** The group of a process from its /proc/<pid>/cmdline (NUL-separated arguments). */
export function processGroup(cmdline: string): string {
  const cmd = cmdline.replace(/\0/g, ' ').trim();
  return processGroups.find(([, re]) => re.test(cmd))?.[0] ?? 'other';
}

/** A thread's group from /proc/<pid>/task/<tid>/comm: its name without digits and '#' ("C2 CompilerThre" -> "C CompilerThre"). */
export function threadGroup(comm: string): string {
  return comm.trim().replace(/[0-9#]+/g, '') || '?';
}

/** CPU seconds summed by group at two samples `seconds` apart, as whole percent of one core used in between. */
export function percentOfCore(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, seconds: number): Map<string, number> {
  if (!(seconds > 0)) throw new Error(`the interval between two samples must be positive (got ${seconds} s)`);
  const out = new Map<string, number>();
  for (const [group, cpu] of after) {
    // A group whose processes exited since `before` could go negative; it used no less than 0.
    out.set(group, Math.max(0, Math.round(((cpu - (before.get(group) ?? 0)) / seconds) * 100)));
  }
  return out;
}
