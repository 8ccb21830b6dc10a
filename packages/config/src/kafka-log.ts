/** Routes kafkajs's own log (warnings and errors only) into the service's JSON logger, so it is neither lost nor plain text. */
import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from './logger';

/**
 * kafkajs logs every error response at error level before it throws it to its caller. REBALANCE_IN_PROGRESS is part
 * of a consumer group forming (a member joins while another syncs): the consumer rejoins by itself, and a failure to
 * would surface as a consumer crash, which the services log. So that one response is logged at info: an SRE reads
 * an error line at every start as something to act on. The text is kafkajs's (src/protocol/error.js; a unit test
 * checks it against the installed kafkajs).
 */
export const REBALANCE_IN_PROGRESS_MESSAGE = 'The group is rebalancing, so a rejoin is needed';

export function kafkaLogCreator(log: Logger): logCreator {
  return () =>
    ({ level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry as { message: string; [k: string]: unknown };
      if (message.startsWith('Response ') && rest.error === REBALANCE_IN_PROGRESS_MESSAGE) log.info({ kafka: rest }, message);
      else if (level <= logLevel.ERROR) log.error({ kafka: rest }, message);
      else if (level <= logLevel.WARN) log.warn({ kafka: rest }, message);
    };
}
