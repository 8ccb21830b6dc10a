/**
 * A real Kubernetes API server for tests, as controller-runtime's envtest runs it: etcd plus
 * kube-apiserver on loopback, RBAC authorization on, an admin token in system:masters, and a
 * kubeconfig that points at it. No kubelet, scheduler or controller-manager: Deployments keep
 * their `spec.replicas` and `/scale` works, but no Pods ever appear.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { isRunning, requireCommand, run, startDaemon, stopDaemon, waitFor } from '../daemon';
import { portFromEnv } from '../free-port';
import { cacheDir, repoRoot } from '../paths';
import type { ServerContext, ServerModule, ServerState } from '../server';
import { StackError } from '../stack-error';

export interface KubeState extends ServerState {
  etcdPort: number;
  etcdPeerPort: number;
  port: number;
  adminToken: string;
  kubeconfig: string;
  version: string;
}

function toolsBin(): string {
  return path.join(process.env.FLOODGATE_TOOLS_DIR ?? path.join(cacheDir(), 'tools'), 'bin');
}

/** The cached binary, built through scripts/go-tools.sh the first time (needs Go). */
async function ensureBinary(name: 'etcd' | 'kube-apiserver'): Promise<string> {
  const bin = path.join(toolsBin(), name);
  if (fs.existsSync(bin)) return bin;
  requireCommand('go', `install Go >= 1.25 (apt-get install golang, or from go.dev); ${name} is built from source through the Go module proxy, once`);
  await run('bash', [path.join(repoRoot(), 'scripts', 'go-tools.sh'), name], {
    what: `building ${name} from source (first time only; kube-apiserver takes 15-25 minutes on 2 cores)`,
    fix: 'check that the Go module proxy is reachable (go env GOPROXY) and retry, or run scripts/go-tools.sh by hand',
  });
  if (!fs.existsSync(bin)) throw new StackError(`scripts/go-tools.sh did not produce ${bin}`, `run scripts/go-tools.sh ${name} by hand and read its output`);
  return bin;
}

/** GET a path of the API server with the admin token (self-signed serving certificate). */
export function kubeGet(state: Pick<KubeState, 'port' | 'adminToken'>, urlPath: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: state.port,
        path: urlPath,
        method: 'GET',
        rejectUnauthorized: false,
        headers: { authorization: `Bearer ${state.adminToken}` },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${urlPath}: HTTP ${res.statusCode} ${body.slice(0, 300)}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${urlPath}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function etcdHealthy(port: number): Promise<void> {
  return fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then(async (res) => {
    const body = (await res.json()) as { health?: string };
    if (body.health !== 'true') throw new Error(`etcd health: ${JSON.stringify(body)}`);
  });
}

function kubeconfigYaml(state: KubeState): string {
  return `# written by @floodgate/devstack: the local kube-apiserver, admin token (system:masters)
apiVersion: v1
kind: Config
clusters:
  - name: floodgate-devstack
    cluster:
      server: https://127.0.0.1:${state.port}
      insecure-skip-tls-verify: true
users:
  - name: admin
    user:
      token: ${state.adminToken}
contexts:
  - name: floodgate-devstack
    context:
      cluster: floodgate-devstack
      user: admin
      namespace: default
current-context: floodgate-devstack
`;
}

export const kubeServer: ServerModule<KubeState> = {
  name: 'kube',

  async start(ctx: ServerContext, previous?: KubeState): Promise<KubeState> {
    const etcd = await ensureBinary('etcd');
    const apiserver = await ensureBinary('kube-apiserver');
    const certDir = path.join(ctx.dir, 'certs');
    const etcdLog = path.join(ctx.dir, 'etcd.log');
    const apiLog = path.join(ctx.dir, 'kube-apiserver.log');
    let state: KubeState;
    if (ctx.keepData && previous) {
      state = { ...previous, pids: [] };
    } else {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
      const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      fs.writeFileSync(path.join(certDir, 'sa-signer.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
      const adminToken = crypto.randomBytes(24).toString('hex');
      // token,user,uid,"group1,group2"
      fs.writeFileSync(path.join(certDir, 'tokens.csv'), `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });
      state = {
        dir: ctx.dir,
        pids: [],
        logFiles: [etcdLog, apiLog],
        etcdPort: await portFromEnv('FLOODGATE_ETCD_PORT', 'etcd client listener'),
        etcdPeerPort: await portFromEnv('FLOODGATE_ETCD_PEER_PORT', 'etcd peer listener'),
        port: await portFromEnv('FLOODGATE_KUBE_APISERVER_PORT', 'kube-apiserver'),
        adminToken,
        kubeconfig: path.join(ctx.dir, 'kubeconfig'),
        version: '',
      };
    }
    const etcdPid = startDaemon(
      etcd,
      [
        '--name',
        'floodgate',
        '--data-dir',
        path.join(ctx.dir, 'etcd-data'),
        '--listen-client-urls',
        `http://127.0.0.1:${state.etcdPort}`,
        '--advertise-client-urls',
        `http://127.0.0.1:${state.etcdPort}`,
        '--listen-peer-urls',
        `http://127.0.0.1:${state.etcdPeerPort}`,
        '--initial-advertise-peer-urls',
        `http://127.0.0.1:${state.etcdPeerPort}`,
        '--initial-cluster',
        `floodgate=http://127.0.0.1:${state.etcdPeerPort}`,
        '--unsafe-no-fsync',
        '--quota-backend-bytes',
        String(512 * 1024 * 1024),
      ],
      { logFile: etcdLog, cwd: ctx.dir },
    );
    state.pids = [etcdPid];
    try {
      await waitFor('etcd', () => etcdHealthy(state.etcdPort), { timeoutMs: 30000, pid: etcdPid, logFile: etcdLog });
      const key = path.join(certDir, 'sa-signer.key');
      const apiPid = startDaemon(
        apiserver,
        [
          `--etcd-servers=http://127.0.0.1:${state.etcdPort}`,
          `--secure-port=${state.port}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--cert-dir=${certDir}`,
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--disable-admission-plugins=ServiceAccount',
          `--service-account-issuer=https://127.0.0.1:${state.port}/`,
          `--service-account-key-file=${key}`,
          `--service-account-signing-key-file=${key}`,
          `--token-auth-file=${path.join(certDir, 'tokens.csv')}`,
          // Fewer background loops on a shared 2-core machine; nothing here needs them.
          '--enable-priority-and-fairness=false',
          '--profiling=false',
          '--event-ttl=1h',
        ],
        { logFile: apiLog, cwd: ctx.dir },
      );
      state.pids = [etcdPid, apiPid];
      await waitFor('kube-apiserver', () => kubeGet(state, '/readyz'), { timeoutMs: 90000, pid: apiPid, logFile: apiLog });
      const version = JSON.parse(await kubeGet(state, '/version')) as { gitVersion: string };
      state.version = version.gitVersion;
      fs.writeFileSync(state.kubeconfig, kubeconfigYaml(state), { mode: 0o600 });
      return state;
    } catch (err) {
      for (const pid of [...state.pids].reverse()) await stopDaemon(pid, 'SIGTERM', 10000);
      throw err;
    }
  },

  async stop(state: KubeState): Promise<void> {
    // The API server first, so it does not log a storm of etcd errors while going down. It drains
    // open watches for a long time on SIGTERM; nothing here needs that, so it gets 5 s.
    const [etcdPid, apiPid] = state.pids;
    await stopDaemon(apiPid, 'SIGTERM', 5000);
    await stopDaemon(etcdPid, 'SIGTERM', 10000);
  },

  async check(state: KubeState): Promise<string> {
    if (!state.pids.every(isRunning)) throw new Error('not running');
    await kubeGet(state, '/readyz');
    return `kube-apiserver ${state.version} https://127.0.0.1:${state.port} (etcd 127.0.0.1:${state.etcdPort}), KUBECONFIG=${state.kubeconfig}`;
  },

  env(state: KubeState): Record<string, string> {
    return { KUBECONFIG: state.kubeconfig, FLOODGATE_KUBE_ADMIN_TOKEN: state.adminToken, FLOODGATE_KUBE_APISERVER_URL: `https://127.0.0.1:${state.port}` };
  },
};
