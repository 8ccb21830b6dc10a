/**
 * The `notify` subcommand: consumes `<prefix>.alerts` (group floodgate-notifier) and delivers each alert transition to
 * every configured webhook. A delivery that fails for good goes to `<prefix>.alerts.dlq` (created if missing) with
 * the target and the reason, and the notifier moves on; offsets are committed after each message is settled.
 */
import { Kafka, logLevel, Partitioners, type KafkaConfig } from 'kafkajs';
import { createLogger, kafkaConnection, kafkaLogCreator, topicNames, type Logger } from '@floodgate/config';
import { headerNames } from '@floodgate/events';
import type { NotifierConfig } from '../config';
import { startOpsServer } from '../http-server';
import { createNotifierMetrics } from '../metrics';
import type { RunningWorker } from '../worker';
import { checkTargetUrl } from './target-guard';
import { deliver } from './webhook-delivery';

export async function startNotifier(cfg: NotifierConfig, log: Logger = createLogger('notifier', cfg.LOG_LEVEL)): Promise<RunningWorker> {
  const topics = topicNames(cfg.KAFKA_TOPIC_PREFIX);
  const dlqTopic = `${topics.alerts}.dlq`;
  // Refuse bad targets at start-up, not at the first alert.
  for (const target of cfg.NOTIFIER_WEBHOOK_URLS) checkTargetUrl(target, cfg.NOTIFIER_ALLOW_PRIVATE_TARGETS);
  const metrics = createNotifierMetrics();
  const kafka = new Kafka({ ...(kafkaConnection(cfg) as KafkaConfig), logLevel: logLevel.WARN, logCreator: kafkaLogCreator(log) });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(dlqTopic)) await admin.createTopics({ topics: [{ topic: dlqTopic, numPartitions: 3 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }

  // The Java client's murmur2 partitioning, named rather than defaulted (kafkajs warns at start-up otherwise).
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({ groupId: cfg.NOTIFIER_GROUP_ID, allowAutoTopicCreation: false, sessionTimeout: 30000, heartbeatInterval: 3000 });
  const shutdown = new AbortController();
  let joined = false;
  let stopping = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  consumer.on(consumer.events.CRASH, () => (joined = false));
  const ops = await startOpsServer({
    port: cfg.HTTP_PORT,
    registry: metrics.registry,
    readiness: () => ({ ready: joined && !stopping, details: { joined, stopping } }),
  });

  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: topics.alerts, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message, heartbeat }) => {
      const body = message.value?.toString() ?? '';
      let parsed: { transitionId?: string; kind?: string; alertId?: string } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // Not JSON: still delivered as-is below would be wrong; dead-letter it.
      }
      const failures: { target: string; reason: string; attempts: number }[] = [];
      if (!parsed.transitionId) failures.push({ target: '-', reason: 'not an alert transition message', attempts: 0 });
      else {
        for (const target of cfg.NOTIFIER_WEBHOOK_URLS) {
          const started = Date.now();
          const outcome = await deliver(target, `${parsed.transitionId}`, `alert.${parsed.kind}`, body, {
            secret: cfg.NOTIFIER_WEBHOOK_SECRET,
            timeoutMs: cfg.NOTIFIER_TIMEOUT_MS,
            maxAttempts: cfg.NOTIFIER_MAX_ATTEMPTS,
            backoff: { baseMs: cfg.NOTIFIER_RETRY_BASE_MS, maxMs: cfg.NOTIFIER_RETRY_MAX_MS },
            allowPrivate: cfg.NOTIFIER_ALLOW_PRIVATE_TARGETS,
            signal: shutdown.signal,
            onRetry: (attempt, reason, delayMs) => {
              metrics.deliveries.inc({ outcome: 'retried' });
              log.warn({ target: new URL(target).origin, attempt, reason, delayMs, alertId: parsed.alertId }, 'webhook delivery failed; retrying');
              void heartbeat().catch(() => undefined);
            },
          });
          metrics.deliveryDuration.observe((Date.now() - started) / 1000);
          if (outcome.delivered) {
            metrics.deliveries.inc({ outcome: 'delivered' });
          } else {
            // Shutting down in the middle of retries: leave the message unresolved for the next notifier.
            if (shutdown.signal.aborted) throw new Error('notifier stopping before delivery finished');
            metrics.deliveries.inc({ outcome: outcome.final === 'refused' ? 'refused' : 'dead_lettered' });
            failures.push({ target: new URL(target).origin, reason: outcome.reason, attempts: outcome.attempts });
          }
        }
      }
      if (failures.length > 0) {
        await producer.send({
          topic: dlqTopic,
          acks: -1,
          messages: failures.map((f) => ({
            key: message.key,
            value: message.value,
            headers: {
              ...message.headers,
              [headerNames.error]: f.reason.slice(0, 1000),
              [headerNames.errorClass]: 'webhook_delivery',
              'floodgate-webhook-target': f.target,
              [headerNames.sourceTopic]: topic,
              [headerNames.sourcePartition]: String(partition),
              [headerNames.sourceOffset]: message.offset,
              [headerNames.firstSeen]: new Date().toISOString(),
              [headerNames.attempts]: String(f.attempts),
            },
          })),
        });
        metrics.dlqMessages.inc({ topic: dlqTopic }, failures.length);
        log.error(
          { alertId: parsed.alertId, failures: failures.map((f) => ({ target: f.target, reason: f.reason, attempts: f.attempts })) },
          'alert delivery dead-lettered',
        );
      }
    },
  });
  log.info({ topic: topics.alerts, targets: cfg.NOTIFIER_WEBHOOK_URLS.length, httpPort: ops.port }, 'notifier consuming');

  return {
    port: ops.port,
    async stop() {
      if (stopping) return;
      stopping = true;
      shutdown.abort();
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await ops.close();
      log.info('notifier stopped');
    },
  };
}
