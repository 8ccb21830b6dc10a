import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@floodgate/devstack';
import { lineage, parseDockerfile } from '../../src/dockerfile';
import { patchedPackages } from '../../src/patched-packages';
import { apiNodeFlags } from '../../../../services/api/src/node-flags';

const root = repoRoot();
const { args, stages } = parseDockerfile(path.join(root, 'Dockerfile'));
const targets = ['api', 'worker', 'operator'];
const instructionsOf = (target: string) => lineage(stages, target).flatMap((s) => s.instructions);

describe('the Dockerfile', () => {
  it('has a target per service, each on the pinned Node 24 base', () => {
    expect(stages.map((s) => s.name)).toEqual(expect.arrayContaining(targets));
    expect(args.NODE_IMAGE).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
    for (const s of stages) expect(s.from).not.toMatch(/:latest$/);
    for (const t of targets) expect(lineage(stages, t).at(-1)!.from).toBe('${NODE_IMAGE}');
  });

  it.each(targets)('runs %s as a numeric non-root user matching the chart', (target) => {
    const users = instructionsOf(target).filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    const [uid] = users[0]!.args.split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    const values = fs.readFileSync(path.join(root, 'charts/floodgate/values.yaml'), 'utf8');
    expect(values).toContain(`runAsUser: ${uid}`);
  });

  it.each(targets)('gives %s only production dependencies and its own bundle', (target) => {
    const copies = instructionsOf(target).filter((i) => i.keyword === 'COPY');
    const nodeModules = copies.filter((c) => c.args.includes('node_modules'));
    expect(nodeModules.map((c) => c.args)).toEqual(['--from=prod-deps /src/node_modules ./node_modules']);
    const prodDeps = stages.find((s) => s.name === 'prod-deps')!;
    const install = prodDeps.instructions.filter((i) => i.keyword === 'RUN' && /npm (ci|install)/.test(i.args));
    expect(install).toHaveLength(1);
    expect(install[0]!.args).toContain('--omit=dev');
    expect(copies.filter((c) => c.args.includes('/src/dist/')).map((c) => c.args)).toEqual([`--from=build /src/dist/${target} ./`]);
  });

  // The API's V8 flags are services/api/src/node-flags.ts (the benchmarks start it with them); the others keep defaults.
  const nodeFlags: Record<string, readonly string[]> = { api: apiNodeFlags, worker: [], operator: [] };

  it.each(targets)('starts %s with node itself (exec form, so SIGTERM reaches it), its V8 flags and the tracing preload', (target) => {
    const entry = instructionsOf(target)
      .filter((i) => i.keyword === 'ENTRYPOINT')
      .at(0)!;
    expect(JSON.parse(entry.args)).toEqual(['node', ...nodeFlags[target]!, '--require', './telemetry-register.js', 'main.js']);
  });

  it("gives node only flags this Node accepts (a bad one makes node exit with 'bad option')", () => {
    const out = execFileSync(process.execPath, [...apiNodeFlags, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(out).toBe('ok');
  });

  it('carries our patched dependencies (patches/) into the runtime, as the build stage patched them', () => {
    const build = stages.find((s) => s.name === 'build')!.instructions;
    const patchesAt = build.findIndex((i) => i.keyword === 'COPY' && i.args === 'patches ./patches');
    const installAt = build.findIndex((i) => i.keyword === 'RUN' && /npm install/.test(i.args));
    expect(patchesAt).toBeGreaterThanOrEqual(0);
    expect(patchesAt).toBeLessThan(installAt); // the postinstall (patch-package) needs them
    expect(build[installAt]!.args).not.toContain('--ignore-scripts');
    const prodDeps = stages.find((s) => s.name === 'prod-deps')!.instructions;
    const prodInstallAt = prodDeps.findIndex((i) => i.keyword === 'RUN' && /npm install/.test(i.args));
    const packages = patchedPackages(root);
    expect(packages).toContain('kafkajs');
    for (const name of packages) {
      const copyAt = prodDeps.findIndex((i) => i.keyword === 'COPY' && i.args === `--from=build /src/node_modules/${name} ./node_modules/${name}`);
      expect(copyAt).toBeGreaterThan(prodInstallAt);
    }
  });

  it('builds the bundles the runtime stages copy, for every target', () => {
    const run = stages
      .find((s) => s.name === 'build')!
      .instructions.filter((i) => i.keyword === 'RUN')
      .map((i) => i.args);
    expect(run).toContain(`npx tsx scripts/build.ts ${targets.join(' ')}`);
  });

  it('keeps local state, dependencies and history out of the build context', () => {
    const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '.floodgate', '.git', '**/dist']) expect(ignored).toContain(entry);
  });
});
