/**
 * The LagScaler operator: an informer keeps the objects, one polling loop per object reconciles
 * at its `pollingIntervalSeconds`, a Lease decides which replica acts, and a small HTTP server
 * answers /healthz, /readyz and /metrics. Clients are created here once and passed down.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@floodgate/config';
import { KafkaCredentials } from './kafka-credentials';
import { KubeClient } from './kube-client';
import { LagScalerInformer } from './lagscaler-informer';
import { keyOf, type LagScaler } from './lagscaler-spec';
import { LeaderElector } from './leader-election';
import { OperatorMetrics } from './operator-metrics';
import { Reconciler, pollingIntervalOf, type ReconcileResult } from './reconciler';
import { ScaleTarget } from './scale-target';
import { StatusWriter } from './status-writer';

export interface OperatorOptions {
  identity: string;
  /** Namespace of the Lease (the operator's own, POD_NAMESPACE). */
  leaseNamespace: string;
  leaseName: string;
  /** Watch only this namespace; all namespaces when undefined. */
  watchNamespace?: string;
  /** 0 picks a free port; undefined serves nothing (tests that need no HTTP). */
  httpPort?: number;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  watchdogSeconds: number;
  resyncSeconds: number;
  kafka: { clientId: string; connectionTimeout: number; requestTimeout: number };
  defaultMetrics?: boolean;
}

interface Loop {
  timer: NodeJS.Timeout | undefined;
  running: Promise<void> | undefined;
  generation: number | undefined;
}

export class Operator {
  readonly metrics: OperatorMetrics;
  private readonly kube: KubeClient;
  private readonly informer: LagScalerInformer;
  private readonly elector: LeaderElector;
  private readonly reconciler: Reconciler;
  private readonly loops = new Map<string, Loop>();
  private server: http.Server | undefined;
  private stopping = false;
  /** Called after each reconcile (tests and the local demo watch decisions through it). */
  onReconcile: ((r: ReconcileResult) => void) | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly opts: OperatorOptions,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.metrics = new OperatorMetrics(opts.defaultMetrics ?? true);
    this.kube = new KubeClient(kubeConfig, this.metrics.countKubeRequest);
    const status = new StatusWriter(this.kube, { component: 'floodgate-operator', instance: opts.identity });
    this.reconciler = new Reconciler({
      scaleTarget: new ScaleTarget(this.kube, clock),
      status,
      credentials: new KafkaCredentials(this.kube, opts.kafka, 60_000, clock),
      metrics: this.metrics,
      log,
      clock,
    });
    this.informer = new LagScalerInformer(
      this.kube,
      kubeConfig,
      {
        onChange: (ls) => this.ensureLoop(ls),
        onDelete: (ls) => void this.dropLoop(ls),
        onError: (err) => log.warn({ err: (err as Error)?.message ?? String(err) }, 'LagScaler watch failed; restarting it'),
        onRestart: (why) => {
          this.metrics.informerRestarts.inc();
          log.debug({ why }, 'LagScaler watch replaced');
        },
      },
      { ...(opts.watchNamespace ? { namespace: opts.watchNamespace } : {}), watchdogSeconds: opts.watchdogSeconds, resyncSeconds: opts.resyncSeconds, clock },
    );
    this.elector = new LeaderElector(this.kube, {
      namespace: opts.leaseNamespace,
      name: opts.leaseName,
      identity: opts.identity,
      leaseDurationSeconds: opts.leaseDurationSeconds,
      renewDeadlineSeconds: opts.renewDeadlineSeconds,
      retryPeriodSeconds: opts.retryPeriodSeconds,
      clock,
      onStartedLeading: () => {
        log.info({ identity: opts.identity }, 'became leader');
        this.metrics.leader.set(1);
        this.reconciler.forgetHistory();
        // Act at once rather than waiting a polling interval: the old leader may have left a backlog.
        for (const key of this.loops.keys()) this.kick(key);
      },
      onStoppedLeading: () => {
        log.info({ identity: opts.identity }, 'stopped leading');
        this.metrics.leader.set(0);
      },
      onError: (err) => log.warn({ err: (err as Error).message }, 'leader election request failed'),
    });
  }

  get isLeader(): boolean {
    return this.elector.isLeader;
  }

  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async start(): Promise<void> {
    if (this.opts.httpPort !== undefined) await this.listen(this.opts.httpPort);
    await this.informer.start();
    this.elector.start();
  }

  /** Graceful: no new reconciles, wait for the running ones, release the Lease, close clients. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const loop of this.loops.values()) clearTimeout(loop.timer);
    await Promise.all([...this.loops.values()].map((l) => l.running));
    await this.elector.stop();
    await this.informer.stop();
    await this.reconciler.close();
    this.loops.clear();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
  }

  private ensureLoop(ls: LagScaler): void {
    if (this.stopping) return;
    const key = keyOf(ls);
    const loop = this.loops.get(key);
    if (!loop) {
      this.loops.set(key, { timer: undefined, running: undefined, generation: ls.metadata.generation });
      this.kick(key);
    } else if (loop.generation !== ls.metadata.generation) {
      // The spec changed (paused, bounds, interval): act on it now, not at the next tick.
      loop.generation = ls.metadata.generation;
      this.kick(key);
    }
  }

  private async dropLoop(ls: LagScaler): Promise<void> {
    const key = keyOf(ls);
    const loop = this.loops.get(key);
    if (!loop) return;
    this.loops.delete(key);
    clearTimeout(loop.timer);
    await loop.running;
    // Deleting a LagScaler leaves its target exactly as it is: no finalizer, no owner reference.
    await this.reconciler.forget(ls);
  }

  /** Runs the loop's reconcile now (after a running one) and schedules the next. */
  private kick(key: string): void {
    const loop = this.loops.get(key);
    if (!loop || this.stopping) return;
    clearTimeout(loop.timer);
    if (loop.running) {
      void loop.running.then(() => this.kick(key));
      return;
    }
    loop.timer = setTimeout(() => this.tick(key), 0);
  }

  private tick(key: string): void {
    const loop = this.loops.get(key);
    if (!loop || this.stopping) return;
    const [namespace, name] = key.split('/') as [string, string];
    const ls = this.informer.get(namespace, name);
    if (!ls) {
      // Not in the cache right now (a watch being replaced): try again shortly. A deleted object's
      // loop ends through the informer's delete handler, never by a lookup that came up empty.
      loop.timer = setTimeout(() => this.tick(key), 1000);
      return;
    }
    let interval = pollingIntervalOf(ls);
    loop.running = (async () => {
      if (!this.elector.isLeader) return;
      const result = await this.reconciler.reconcile(ls);
      interval = result.pollingIntervalSeconds;
      this.onReconcile?.(result);
    })()
      .catch((err: unknown) => this.log.error({ lagscaler: key, err: (err as Error).message }, 'reconcile threw'))
      .finally(() => {
        loop.running = undefined;
        if (this.loops.get(key) === loop && !this.stopping) loop.timer = setTimeout(() => this.tick(key), interval * 1000);
      });
  }

  private listen(port: number): Promise<void> {
    this.server = http.createServer((req, res) => void this.serve(req, res));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, () => resolve());
    });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: unknown, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { type: 'about:blank', title: 'Method Not Allowed', status: 405 }, 'application/problem+json');
    switch (path) {
      case '/healthz':
        // Alive while the process serves; watch trouble shows in the detail and in metrics, and
        // the watchdog repairs it, so a restart by the kubelet would not help.
        return send(200, { status: 'ok', leader: this.isLeader, watchQuietSeconds: Math.round(this.informer.quietSeconds()), lagScalers: this.loops.size });
      case '/readyz':
        return this.informer.synced && !this.stopping
          ? send(200, { status: 'ready', leader: this.isLeader })
          : send(503, { status: 'not ready', synced: this.informer.synced });
      case '/metrics':
        return send(200, await this.metrics.registry.metrics(), this.metrics.registry.contentType);
      default:
        return send(404, { type: 'about:blank', title: 'Not Found', status: 404, detail: `no route ${path}` }, 'application/problem+json');
    }
  }
}
