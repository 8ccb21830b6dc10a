/**
 * JSON logs (pino) with the service name, and trace_id/span_id of the active
 * OpenTelemetry span when there is one. Never log payloads or secrets: the redact
 * list is a safety net, not a licence.
 */
import pino, { type Logger } from 'pino';

export type { Logger };

/** Set by the telemetry bootstrap so logs carry the active trace without a hard dependency. */
let activeSpanContext: () => { traceId: string; spanId: string } | undefined = () => undefined;
export function setSpanContextProvider(provider: typeof activeSpanContext): void {
  activeSpanContext = provider;
}

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: [
        'password',
        '*.password',
        'authorization',
        '*.authorization',
        'headers.authorization',
        'headers["x-api-key"]',
        'apiKey',
        'token',
        'secret',
        '*.secret',
        'payload',
        '*.payload',
      ],
      censor: '[redacted]',
    },
    mixin() {
      const ctx = activeSpanContext();
      return ctx ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  });
}
