/**
 * Keeps a cache of LagScalers with @kubernetes/client-node's ListWatch, made dependable:
 * - a watch error (the ListWatch stops on any error but 410 Gone) restarts it with backoff;
 * - a watchdog replaces the watch when nothing has arrived for `watchdogSeconds`, because
 *   client-node informers are reported to stop silently after a disconnect
 *   (kubernetes-client/javascript#596, #958);
 * - every `resyncSeconds` it lists afresh, so an event lost anyway is repaired by the next list.
 * A replacement lists before it takes over, so lookups never see an empty cache in between.
 */
import { ListWatch, Watch, type KubeConfig, type KubernetesListObject } from '@kubernetes/client-node';
import type { KubeClient } from './kube-client';
import { lagScalerPath, type LagScaler } from './lagscaler-spec';

export interface InformerHandlers {
  onChange: (ls: LagScaler) => void;
  onDelete: (ls: LagScaler) => void;
  onError?: (err: unknown) => void;
  onRestart?: (why: string) => void;
}

export interface InformerOptions {
  namespace?: string;
  watchdogSeconds: number;
  resyncSeconds: number;
  clock?: () => number;
}

export class LagScalerInformer {
  private current: ListWatch<LagScaler> | undefined;
  /** A replacement that has listed but not yet taken over: its handlers already announced its objects. */
  private listedReplacement: ListWatch<LagScaler> | undefined;
  private generation = 0;
  private lastActivity = 0;
  private lastList = 0;
  private timer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> | undefined;
  private backoffMs = 1000;
  private stopped = true;
  private readonly clock: () => number;
  /** Times the watch was replaced (watchdog, resync or error); exposed for metrics and tests. */
  restarts = 0;

  constructor(
    private readonly kube: KubeClient,
    private readonly kubeConfig: KubeConfig,
    private readonly handlers: InformerHandlers,
    private readonly opts: InformerOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
  }

  get synced(): boolean {
    return this.current !== undefined;
  }

  get(namespace: string, name: string): LagScaler | undefined {
    return this.listedReplacement?.get(name, namespace) ?? this.current?.get(name, namespace);
  }

  list(): LagScaler[] {
    return [...(this.current?.list() ?? [])];
  }

  /** Lists and starts watching; resolves once the cache is filled. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.replace('start');
    const checkEvery = Math.max(250, Math.min(this.opts.watchdogSeconds, this.opts.resyncSeconds) * 250);
    this.timer = setInterval(() => this.check(), checkEvery);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.restarting?.catch(() => undefined);
    this.generation++;
    await this.current?.stop();
  }

  /** Seconds since the watch last delivered anything (for /healthz). */
  quietSeconds(): number {
    return (this.clock() - this.lastActivity) / 1000;
  }

  private check(): void {
    if (this.stopped || this.restarting) return;
    const now = this.clock();
    if (now - this.lastActivity > this.opts.watchdogSeconds * 1000) void this.replace('watchdog: no watch activity');
    else if (now - this.lastList > this.opts.resyncSeconds * 1000) void this.replace('resync');
  }

  private replace(why: string): Promise<void> {
    this.restarting ??= this.doReplace(why).finally(() => (this.restarting = undefined));
    return this.restarting;
  }

  private async doReplace(why: string): Promise<void> {
    const gen = ++this.generation;
    const path = lagScalerPath(this.opts.namespace);
    let listed = false;
    const listFn = async () => {
      const list = await this.kube.get<KubernetesListObject<LagScaler>>(path);
      listed = true;
      // The ListWatch fills its cache and calls the add handlers right after this returns, before
      // the watch connects and this replacement takes over: lookups from those handlers must find it.
      if (gen === this.generation) this.listedReplacement = lw;
      return list;
    };
    const lw = new ListWatch<LagScaler>(path, new Watch(this.kubeConfig), listFn, false);
    const live = () => gen === this.generation && !this.stopped;
    const touch = () => {
      if (live()) this.lastActivity = this.clock();
    };
    lw.on('add', (o) => {
      touch();
      if (live()) this.handlers.onChange(o);
    });
    lw.on('update', (o) => {
      touch();
      if (live()) this.handlers.onChange(o);
    });
    lw.on('delete', (o) => {
      touch();
      if (live()) this.handlers.onDelete(o);
    });
    lw.on('connect', touch);
    lw.on('error', (err) => {
      if (!live()) return;
      this.handlers.onError?.(err);
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
      setTimeout(() => {
        if (live()) void this.replace(`watch error: ${(err as Error)?.message ?? String(err)}`);
      }, delay).unref();
    });
    if (why !== 'start') {
      this.restarts++;
      this.handlers.onRestart?.(why);
    }
    try {
      await lw.start();
    } catch (err) {
      this.handlers.onError?.(err);
    }
    // A failed list is reported through the error handler (which retries with backoff); keep the
    // old cache meanwhile rather than an empty one that would look like every object was deleted.
    if (!listed || gen !== this.generation || this.stopped) {
      if (this.listedReplacement === lw) this.listedReplacement = undefined;
      await lw.stop();
      return;
    }
    const old = this.current;
    this.current = lw;
    this.listedReplacement = undefined;
    this.lastActivity = this.lastList = this.clock();
    this.backoffMs = 1000;
    // Objects the old cache had and the new list does not were deleted while we were not watching.
    if (old) {
      for (const o of old.list()) if (!lw.get(o.metadata.name, o.metadata.namespace)) this.handlers.onDelete(o);
      await old.stop();
    }
  }
}
