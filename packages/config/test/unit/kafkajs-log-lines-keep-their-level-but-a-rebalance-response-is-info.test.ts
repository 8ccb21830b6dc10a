import { logLevel } from 'kafkajs';
import { kafkaLogCreator, REBALANCE_IN_PROGRESS_MESSAGE } from '../../src/kafka-log';
import type { Logger } from '../../src/logger';

/** A fake logger that records (level, message) pairs. */
function recordingLogger(): { log: Logger; lines: Array<[string, string]> } {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (_obj: unknown, msg: string) => void lines.push([level, msg]);
  return { log: { error: at('error'), warn: at('warn'), info: at('info') } as unknown as Logger, lines };
}

const entry = (message: string, extra: Record<string, unknown> = {}) => ({
  namespace: 'Connection',
  label: 'ERROR',
  log: { message, timestamp: 't', logger: 'kafkajs', ...extra },
});

it('keeps errors and warnings at their level, and logs a REBALANCE_IN_PROGRESS response at info', () => {
  const { log, lines } = recordingLogger();
  const write = kafkaLogCreator(log)(logLevel.ERROR);
  write({ level: logLevel.ERROR, ...entry('Response SyncGroup(key: 14, version: 3)', { error: REBALANCE_IN_PROGRESS_MESSAGE }) });
  write({ level: logLevel.ERROR, ...entry('Response Produce(key: 0, version: 7)', { error: 'The coordinator is not available' }) });
  write({ level: logLevel.ERROR, ...entry('Crash: KafkaJSNumberOfRetriesExceeded', { error: REBALANCE_IN_PROGRESS_MESSAGE }) });
  write({ level: logLevel.WARN, ...entry('a warning') });
  expect(lines).toEqual([
    ['info', 'Response SyncGroup(key: 14, version: 3)'],
    ['error', 'Response Produce(key: 0, version: 7)'],
    ['error', 'Crash: KafkaJSNumberOfRetriesExceeded'],
    ['warn', 'a warning'],
  ]);
});

it("matches the installed kafkajs's text for REBALANCE_IN_PROGRESS", () => {
  const { errorCodes } = require('kafkajs/src/protocol/error') as { errorCodes: Array<{ type: string; message: string }> };
  expect(errorCodes.find((c) => c.type === 'REBALANCE_IN_PROGRESS')?.message).toBe(REBALANCE_IN_PROGRESS_MESSAGE);
});
