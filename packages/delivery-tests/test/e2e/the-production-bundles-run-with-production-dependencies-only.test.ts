import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { defaultServers, freePort, repoRoot, stackEnv as stackEnv_, up } from '@floodgate/devstack';
import { buildService } from '../../../../scripts/build';
import { patchedPackages } from '../../src/patched-packages';

jest.setTimeout(300000);

// What the images do, without Docker: bundle each service as the Dockerfile's build
// stage does, install production dependencies only (the prod-deps stage), and run the
// bundles with plain node against the real stack. A dependency that is only a dev
// dependency, or a file the bundle forgets, fails here.
const root = repoRoot();
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'floodgate-prod-'));
  for (const file of ['package.json', 'package-lock.json', ...workspaceManifests()]) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(dir, file));
  }
  execFileSync('npm', ['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'pipe' });
  fs.rmSync(path.join(dir, 'node_modules/@floodgate'), { recursive: true, force: true }); // our code is bundled
  // The prod-deps stage then takes the patched packages from the build stage (here: the workspace's node_modules).
  for (const name of patchedPackages(root)) {
    fs.cpSync(path.join(root, 'node_modules', name), path.join(dir, 'node_modules', name), { recursive: true });
  }
  for (const svc of ['api', 'worker', 'operator']) fs.cpSync(await buildService(svc), path.join(dir, svc), { recursive: true });
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

function workspaceManifests(): string[] {
  const globs = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).workspaces as string[];
  return globs
    .flatMap((g) =>
      g.endsWith('/*') ? fs.readdirSync(path.join(root, g.slice(0, -2))).map((d) => `${g.slice(0, -2)}/${d}/package.json`) : [`${g}/package.json`],
    )
    .filter((f) => fs.existsSync(path.join(root, f)));
}

function run(svc: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let output = '';
  const child = spawn(process.execPath, ['--require', './telemetry-register.js', 'main.js', ...args], {
    cwd: path.join(dir, svc),
    env: { PATH: process.env.PATH, NODE_ENV: 'production', OTEL_SDK_DISABLED: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
}

const stackEnv = () => ({
  KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
  DATABASE_URL: process.env.DATABASE_URL!,
  DATABASE_READ_URL: process.env.DATABASE_READ_URL!,
  REDIS_URL: process.env.REDIS_URL!,
});

test('the production install has no dev dependencies', () => {
  const installed = fs.readdirSync(path.join(dir, 'node_modules'));
  for (const dev of ['jest', 'typescript', 'tsx', 'eslint', '@swc']) expect(installed).not.toContain(dev);
});

test('the production install carries the patched kafkajs encoder', () => {
  const encoder = (base: string) => fs.readFileSync(path.join(base, 'node_modules/kafkajs/src/protocol/encoder.js'), 'utf8');
  expect(encoder(dir)).toContain('Floodgate patch');
  expect(encoder(dir)).toBe(encoder(root));
});

test('the worker bundle applies the migrations it carries', async () => {
  const p = run('worker', ['migrate'], { DATABASE_URL: process.env.DATABASE_URL!, FLOODGATE_MIGRATIONS_DIR: path.join(dir, 'worker/migrations') });
  expect(await p.exited).toBe(0);
  const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  const { rows } = await db.query(`select count(*)::int as n from floodgate_migrations`);
  await db.end();
  expect(rows[0].n).toBeGreaterThanOrEqual(2);
});

test('the API bundle serves /healthz and exits cleanly on SIGTERM', async () => {
  const port = await freePort();
  const p = run('api', [], { ...stackEnv(), PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: 'x'.repeat(48) });
  let ok = false;
  for (let i = 0; i < 120 && !ok && p.child.exitCode === null; i++) {
    ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ok) await new Promise((r) => setTimeout(r, 250));
  }
  expect({ ok, output: ok ? '' : p.output() }).toEqual({ ok: true, output: '' });
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
});

async function waitHealthy(name: string, url: string, p: ReturnType<typeof run>): Promise<void> {
  for (let i = 0; i < 160 && p.child.exitCode === null; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${name} did not answer ${url}:\n${p.output()}`);
}

test('the worker and operator bundles become healthy and exit cleanly on SIGTERM', async () => {
  // The operator needs a Kubernetes API: add the devstack's kube-apiserver to the stack if it is not there.
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR!, servers: [...defaultServers, 'kube'] });
  const workerPort = await freePort();
  const operatorPort = await freePort();
  const worker = run('worker', ['consume'], { ...stackEnv(), HTTP_PORT: String(workerPort), WORKER_GROUP_ID: `prod-bundle-${process.pid}` });
  const operator = run('operator', [], {
    KAFKA_BROKERS: process.env.KAFKA_BROKERS!,
    KUBECONFIG: stackEnv_(stack).KUBECONFIG!,
    HTTP_PORT: String(operatorPort),
    POD_NAME: 'prod-bundle-test',
    LEASE_NAME: `prod-bundle-${process.pid}`,
  });
  await waitHealthy('worker', `http://127.0.0.1:${workerPort}/healthz`, worker);
  await waitHealthy('operator', `http://127.0.0.1:${operatorPort}/healthz`, operator);
  worker.child.kill('SIGTERM');
  operator.child.kill('SIGTERM');
  expect(await worker.exited).toBe(0);
  expect(await operator.exited).toBe(0);
});
