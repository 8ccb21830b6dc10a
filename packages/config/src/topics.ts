/** Kafka topic names, derived from one configurable prefix (DESIGN.md, "Kafka"). */
export interface TopicNames {
  events: string;
  eventsDlq: string;
  alerts: string;
}

export function topicNames(prefix = 'floodgate'): TopicNames {
  return { events: `${prefix}.events`, eventsDlq: `${prefix}.events.dlq`, alerts: `${prefix}.alerts` };
}

/** Partition counts the local stack creates; the chart's KafkaTopics use the same numbers. */
export const topicPartitions = { events: 12, eventsDlq: 3, alerts: 3 } as const;

/**
 * The three topics under `prefix`, each as `{ topic, numPartitions }` for kafkajs's `admin.createTopics`: the
 * local stack, the benchmarks and the tests all create them from here. `eventPartitions` overrides the events
 * topic's count (a test that wants one partition, for example).
 */
export function topicSpecs(prefix = 'floodgate', eventPartitions: number = topicPartitions.events): { topic: string; numPartitions: number }[] {
  const names = topicNames(prefix);
  return [
    { topic: names.events, numPartitions: eventPartitions },
    { topic: names.eventsDlq, numPartitions: topicPartitions.eventsDlq },
    { topic: names.alerts, numPartitions: topicPartitions.alerts },
  ];
}
