/**
 * Leader election with a coordination.k8s.io Lease, as client-go's leaderelection does it: the
 * holder renews the Lease every retry period; a candidate takes it over once it has seen the same
 * record unchanged for a whole lease duration (measured on its own clock, so clock skew between
 * replicas does not matter); a leader that cannot renew within the renew deadline stops acting.
 */
import { isConflict, isNotFound, type KubeClient } from './kube-client';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineSeconds: number;
  retryPeriodSeconds: number;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  onError?: (err: unknown) => void;
  clock?: () => number;
}

interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: { holderIdentity?: string | null; leaseDurationSeconds?: number; acquireTime?: string | null; renewTime?: string | null; leaseTransitions?: number };
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  private leading = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private observed: { record: string; at: number } | undefined;
  private lastRenew = 0;
  private readonly clock: () => number;
  private readonly path: string;
  private running: Promise<void> | undefined;

  constructor(
    private readonly kube: KubeClient,
    private readonly opts: LeaderElectionOptions,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops trying; a leader releases the Lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.leading) {
      this.setLeading(false);
      try {
        const lease = await this.kube.get<Lease>(`${this.path}/${this.opts.name}`);
        if (lease.spec.holderIdentity === this.opts.identity) {
          await this.kube.put(`${this.path}/${this.opts.name}`, {
            ...lease,
            spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(this.clock()) },
          });
        }
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.schedule(this.opts.retryPeriodSeconds * 1000);
      });
    }, ms);
  }

  private setLeading(v: boolean): void {
    if (v === this.leading) return;
    this.leading = v;
    if (v) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }

  private async tick(): Promise<void> {
    try {
      const acquired = await this.tryAcquireOrRenew();
      if (acquired) {
        this.lastRenew = this.clock();
        this.setLeading(true);
      } else if (this.leading) {
        this.setLeading(false);
      }
    } catch (err) {
      this.opts.onError?.(err);
      // A leader that could not renew for the renew deadline must stop acting: another replica
      // may take the Lease once it expires, and two actors would fight over the replica count.
      if (this.leading && this.clock() - this.lastRenew > this.opts.renewDeadlineSeconds * 1000) this.setLeading(false);
    }
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock();
    const mine: Lease['spec'] = { holderIdentity: this.opts.identity, leaseDurationSeconds: this.opts.leaseDurationSeconds, renewTime: microTime(now) };
    let lease: Lease;
    try {
      lease = await this.kube.get<Lease>(`${this.path}/${this.opts.name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.kube.post(this.path, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.opts.name, namespace: this.opts.namespace },
          spec: { ...mine, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (createErr) {
        if (isConflict(createErr) || (createErr as { statusCode?: number }).statusCode === 409) return false;
        throw createErr;
      }
    }
    const holder = lease.spec.holderIdentity ?? '';
    const record = JSON.stringify([holder, lease.spec.renewTime, lease.spec.leaseDurationSeconds]);
    if (!this.observed || this.observed.record !== record) this.observed = { record, at: now };
    const duration = (lease.spec.leaseDurationSeconds ?? this.opts.leaseDurationSeconds) * 1000;
    const expired = holder === '' || now - this.observed.at > duration;
    if (holder !== this.opts.identity && !expired) return false;
    const spec: Lease['spec'] =
      holder === this.opts.identity
        ? { ...lease.spec, ...mine }
        : { ...lease.spec, ...mine, acquireTime: microTime(now), leaseTransitions: (lease.spec.leaseTransitions ?? 0) + 1 };
    try {
      // The resourceVersion makes this a compare-and-swap: two candidates cannot both win.
      await this.kube.put(`${this.path}/${this.opts.name}`, { ...lease, spec });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
