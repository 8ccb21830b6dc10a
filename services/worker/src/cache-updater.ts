/** After a commit, writes the devices' database state to Redis through the cache's compare-and-set on event time. */
import type { DeviceCache, DeviceCacheEntry } from '@floodgate/cache';
import type { WorkerMetrics } from './metrics';

export class CacheUpdater {
  constructor(
    private readonly cache: DeviceCache,
    private readonly ttlMs: number,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * `states` are what the database holds after the commit, so writing them is always correct; the compare-and-set
   * only refuses them when the cache already has something at least as new (a racing API fill or a later batch).
   */
  async write(entries: DeviceCacheEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const written = await this.cache.writeManyIfNewer(entries, this.ttlMs);
    this.metrics.cacheWrites.inc({ result: 'written' }, written);
    this.metrics.cacheWrites.inc({ result: 'stale' }, entries.length - written);
  }
}
