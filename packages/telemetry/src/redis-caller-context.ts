/**
 * ioredis auto-pipelining queues the commands of concurrent callers in one pipeline and sends them a moment later,
 * from the context of whichever caller created that pipeline. The ioredis instrumentation starts each command's span
 * when the command is sent, so the Redis spans of every other caller landed in that first caller's trace (8
 * concurrent device reads: one trace held all 8 reads' spans, the other 7 none).
 *
 * `keepCallerContexts(redis)` fixes that for one client: the pipelines it creates remember the context each command
 * was queued in, and the client sends each command inside that context, so its span is a child of its own caller.
 * Commands sent directly (not pipelined) are untouched. Without tracing it costs a property write and a no-op
 * `context.with` per command.
 *
 * It relies on two ioredis internals, pinned by the lockfile: auto-pipelining creates its pipelines with
 * `client.pipeline()`, and a pipeline queues commands through its own `sendCommand` and sends them through the
 * client's. The e2e test `concurrent-device-reads-each-keep-their-redis-spans-in-their-own-trace` fails if an upgrade
 * changes either.
 */
import { context, type Context } from '@opentelemetry/api';

const queuedIn = Symbol('@floodgate/telemetry/redis-caller-context');

type Command = { [queuedIn]?: Context };
type SendCommand = (this: unknown, command: Command, ...rest: unknown[]) => unknown;
/** The two methods of an ioredis client this relies on (typed here, so the package needs no ioredis of its own). */
type RedisClient = { pipeline(...args: never[]): object; sendCommand(...args: never[]): unknown };

export function keepCallerContexts<R extends RedisClient>(redis: R): R {
  const client = redis as unknown as { pipeline: (...args: unknown[]) => { sendCommand: SendCommand }; sendCommand: SendCommand };
  const createPipeline = client.pipeline;
  client.pipeline = function pipeline(this: unknown, ...args: unknown[]) {
    const created = createPipeline.apply(this, args);
    const queue = created.sendCommand;
    created.sendCommand = function sendCommand(this: unknown, command: Command, ...rest: unknown[]) {
      command[queuedIn] = context.active();
      return queue.call(this, command, ...rest);
    };
    return created;
  };
  const send = client.sendCommand;
  client.sendCommand = function sendCommand(this: unknown, command: Command, ...rest: unknown[]) {
    const ctx = command?.[queuedIn];
    return ctx === undefined ? send.call(this, command, ...rest) : context.with(ctx, () => send.call(this, command, ...rest));
  };
  return redis;
}
