/**
 * Sends messages that can never succeed to a dead-letter topic with their original key, value and headers, plus
 * headers naming the error, its class, the source topic/partition/offset, the first-seen time and the attempts.
 */
import type { IHeaders, KafkaMessage, Producer } from 'kafkajs';
import { headerNames } from '@floodgate/events';

export interface DeadLetter {
  message: KafkaMessage;
  sourceTopic: string;
  sourcePartition: number;
  error: string;
  /** A stable reason (see error-classifier.ts), e.g. poison_message. */
  errorClass: string;
  attempts: number;
}

const headerText = (h: IHeaders | undefined, name: string): string | undefined => {
  const v = h?.[name];
  if (v === undefined) return undefined;
  return (Array.isArray(v) ? v[0] : v)?.toString();
};

export class DeadLetterQueue {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  /** Resolves once the DLQ topic has acknowledged every message (acks=all); throws otherwise (a transient fault). */
  async send(letters: DeadLetter[], now = Date.now()): Promise<void> {
    if (letters.length === 0) return;
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((l) => {
        const original = l.message.headers ?? {};
        // A message replayed from a DLQ keeps its first-seen time and adds to its attempt count.
        const priorAttempts = Number(headerText(original, headerNames.attempts) ?? 0) || 0;
        return {
          key: l.message.key,
          value: l.message.value,
          headers: {
            ...original,
            [headerNames.error]: l.error.slice(0, 1000),
            [headerNames.errorClass]: l.errorClass,
            [headerNames.sourceTopic]: l.sourceTopic,
            [headerNames.sourcePartition]: String(l.sourcePartition),
            [headerNames.sourceOffset]: l.message.offset,
            [headerNames.firstSeen]: headerText(original, headerNames.firstSeen) ?? new Date(now).toISOString(),
            [headerNames.attempts]: String(priorAttempts + l.attempts),
          },
        };
      }),
    });
  }
}
