/**
 * Trace context for work done once for several batches: the worker's group commit writes the partition batches of
 * one fetch in one transaction. Each batch runs under its own consumer span (`withBatchContext`); the transaction
 * can have only one parent. It joins the first batch's trace, and the span of every other batch gets a link to the
 * span it ran under, so each trace still shows where its rows were written (the same shape `withBatchContext` gives
 * the traces inside one batch). Inert without tracing.
 */
import { context, trace, type Context } from '@opentelemetry/api';

/** The context active now, captured by each batch that hands its work over. */
export function activeContext(): Context {
  return context.active();
}

/** Runs `fn` in the first context and links the span active in each other context to the first context's span. */
export function withSharedWork<T>(contexts: readonly Context[], fn: () => Promise<T>): Promise<T> {
  const [lead, ...others] = contexts;
  if (!lead) return fn();
  const leadSpan = trace.getSpan(lead);
  const leadContext = leadSpan?.spanContext();
  if (leadContext && trace.isSpanContextValid(leadContext))
    for (const ctx of others) {
      const span = trace.getSpan(ctx);
      if (span && span !== leadSpan && span.isRecording()) span.addLink({ context: leadContext, attributes: { 'floodgate.link.reason': 'group_commit' } });
    }
  return context.with(lead, fn);
}
