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
