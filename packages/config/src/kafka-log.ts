/** Routes kafkajs's own log (warnings and errors only) into the service's JSON logger, so it is neither lost nor plain text. */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger';

export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as { message: string; [k: string]: unknown };
      if (level <= logLevel.ERROR) log.error({ kafka: rest }, message);
      else if (level <= logLevel.WARN) log.warn({ kafka: rest }, message);
    };
}
