/**
 * Drains the alert outbox to `<prefix>.alerts` (keyed by device): rows are locked, produced with acks=all, and
 * deleted in one transaction, so a publish failure leaves them for the next drain. Delivery is at least once;
 * consumers dedupe by `transitionId`.
 */
import type pg from 'pg';
import type { Producer } from 'kafkajs';
import type { Logger } from '@floodgate/config';
import type { WorkerMetrics } from './metrics';

export class AlertPublisher {
  private draining: Promise<number> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly metrics: WorkerMetrics,
    private readonly log: Logger,
  ) {}

  /** Drains now; concurrent calls coalesce into one more pass. Never throws (failures are retried by the timer). */
  drain(): Promise<number> {
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = (async () => {
      let total = 0;
      do {
        this.again = false;
        try {
          for (let n = await this.drainOnce(); n > 0; n = await this.drainOnce()) total += n;
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'alert outbox drain failed; will retry');
          break;
        }
      } while (this.again);
      return total;
    })().finally(() => (this.draining = undefined));
    return this.draining;
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.drain(), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.draining;
  }

  private async drainOnce(limit = 500): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // SKIP LOCKED: two worker replicas drain in parallel without publishing the same row twice.
      const { rows } = await client.query<{ id: string; device_id: string; message: unknown }>(
        `SELECT id::text, device_id, message FROM alert_outbox ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      if (rows.length === 0) {
        await client.query('COMMIT');
        return 0;
      }
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: rows.map((r) => ({
          key: r.device_id,
          value: JSON.stringify(r.message),
          headers: { 'content-type': 'application/json', 'floodgate-schema': 'floodgate.alert.v1' },
        })),
      });
      await client.query(`DELETE FROM alert_outbox WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      await client.query('COMMIT');
      this.metrics.alertsPublished.inc(rows.length);
      return rows.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}
