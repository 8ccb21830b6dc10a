/**
 * Production build: bundles each service's own code (its src and the @floodgate/*
 * packages it uses) into one file under dist/<service>/, leaving every third-party
 * package external so it loads from node_modules at run time. Third-party modules stay
 * ordinary requires, which OpenTelemetry's instrumentations need in order to patch them.
 * Usage: tsx scripts/build.ts [api worker operator ...]
 */
import fs from 'node:fs';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(__dirname, '..');

export const services: Record<string, { entries: Record<string, string>; copy?: Record<string, string> }> = {
  api: { entries: { main: 'services/api/src/main.ts' } },
  worker: { entries: { main: 'services/worker/src/main.ts' }, copy: { migrations: 'packages/db/migrations' } },
  operator: { entries: { main: 'operator/src/main.ts' } },
};

/** Bare imports that are not ours stay external (resolved from node_modules at run time). */
const thirdPartyExternal: Plugin = {
  name: 'third-party-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@floodgate/') ? undefined : { path: args.path, external: true }));
  },
};

export async function buildService(name: string): Promise<string> {
  const svc = services[name];
  if (!svc) throw new Error(`unknown service ${name}; known: ${Object.keys(services).join(', ')}`);
  const outdir = path.join(root, 'dist', name);
  fs.rmSync(outdir, { recursive: true, force: true });
  const entries = { ...svc.entries };
  const telemetry = path.join(root, 'packages/telemetry/src/register.ts');
  if (fs.existsSync(telemetry)) entries['telemetry-register'] = 'packages/telemetry/src/register.ts';
  await build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [thirdPartyExternal],
  });
  for (const [to, from] of Object.entries(svc.copy ?? {})) fs.cpSync(path.join(root, from), path.join(outdir, to), { recursive: true });
  return outdir;
}

if (require.main === module) {
  const names = process.argv.slice(2);
  (async () => {
    for (const name of names.length ? names : Object.keys(services)) {
      const out = await buildService(name);
      process.stdout.write(`built ${name} -> ${path.relative(root, out)}\n`);
    }
  })().catch((err: Error) => {
    process.stderr.write(`build failed: ${err.message}\n`);
    process.exit(1);
  });
}
