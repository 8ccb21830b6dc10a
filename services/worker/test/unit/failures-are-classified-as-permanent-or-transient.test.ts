import { PoisonMessageError } from '@floodgate/events';
import { backoffDelay } from '../../src/backoff';
import { classifyError } from '../../src/error-classifier';

const pgError = (code: string) => Object.assign(new Error(`pg ${code}`), { code });

describe('failure classification', () => {
  it.each([
    ['a poison message', new PoisonMessageError('value is not JSON'), 'permanent', 'poison_message'],
    ['a \\u0000 in jsonb (22P05)', pgError('22P05'), 'permanent', 'pg_data_exception'],
    ['a timestamp out of range (22008)', pgError('22008'), 'permanent', 'pg_data_exception'],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), 'transient', 'connection'],
    ['the server shutting down (57P01)', pgError('57P01'), 'transient', 'pg_shutdown_or_timeout'],
    ['a statement timeout (57014)', pgError('57014'), 'transient', 'pg_shutdown_or_timeout'],
    ['a deadlock (40P01)', pgError('40P01'), 'transient', 'pg_conflict'],
    ['a unique violation (23505): two workers racing to open the same alert', pgError('23505'), 'transient', 'pg_conflict'],
    ['a check violation (23514)', pgError('23514'), 'permanent', 'pg_integrity_violation'],
    ['too many connections (53300)', pgError('53300'), 'transient', 'pg_resources'],
    ['a missing table (42P01): a deployment fault, not the message', pgError('42P01'), 'transient', 'pg_schema'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'transient', 'connection'],
    ['a Kafka error', Object.assign(new Error('broker not available'), { name: 'KafkaJSConnectionError' }), 'transient', 'kafka'],
    [
      'Redis giving up on a command',
      Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' }),
      'transient',
      'redis',
    ],
    ['anything unknown (retrying is the safe side)', new Error('something odd'), 'transient', 'unknown'],
  ])('%s', (_name, err, cls, reason) => {
    expect(classifyError(err)).toEqual({ class: cls, reason });
  });
});

describe('retry backoff', () => {
  const policy = { baseMs: 200, maxMs: 30000 };
  it('grows exponentially up to the cap, with full jitter above a floor', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).toEqual([200, 400, 800, 1600]);
    expect(backoffDelay(20, policy, () => 1)).toBe(30000);
    expect(backoffDelay(20, policy, () => 0)).toBe(100);
    for (let n = 1; n < 40; n++) {
      const d = backoffDelay(n, policy);
      expect(d).toBeGreaterThanOrEqual(100);
      expect(d).toBeLessThanOrEqual(30000);
    }
  });
});
