/**
 * How the worker batched a level's events, from two scrapes of its Prometheus endpoint (before the level and once its
 * backlog is gone):
 * - events per transaction: events stored over transactions (`floodgate_worker_batches_per_transaction` counts one
 *   sample per transaction);
 * - device states written to the cache per event stored (`floodgate_cache_writes_total`, written or refused as
 *   stale): each is also one `devices` upsert. A transaction upserts each of its devices once, with its newest
 *   event, so in large transactions several events of a device share one upsert and one cache write, and this
 *   falls below 1.
 */
import { counterValue } from '../../harness/metrics-text';

export interface WorkerBatching {
  transactions: number;
  eventsPerTransaction: number;
  devicesPerEvent: number;
}

export function workerBatching(before: string, after: string): WorkerBatching {
  const delta = (name: string, labels: Record<string, string> = {}) => counterValue(after, name, labels) - counterValue(before, name, labels);
  const stored = delta('floodgate_worker_events_processed_total', { outcome: 'stored' });
  const transactions = delta('floodgate_worker_batches_per_transaction_count');
  const devices = delta('floodgate_cache_writes_total');
  return {
    transactions,
    eventsPerTransaction: transactions > 0 ? Math.round(stored / transactions) : 0,
    devicesPerEvent: stored > 0 ? Math.round((100 * devices) / stored) / 100 : 0,
  };
}
