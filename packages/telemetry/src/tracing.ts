/**
 * The one tracing bootstrap for the API, worker and operator: trace ids in pino logs always, and the OpenTelemetry
 * Node SDK (./tracing-sdk: the http, express, kafkajs, pg and ioredis instrumentations, OTLP/protobuf export by the
 * standard OTEL_* variables, Kubernetes pod attributes) unless OTEL_SDK_DISABLED, which the chart sets when no
 * OTLP endpoint is configured.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { setSpanContextProvider } from '@floodgate/config';
import { findServiceIdentity } from './service-identity';
import { telemetrySettings, type TelemetrySettings } from './telemetry-settings';
// Types only: the SDK itself is loaded (./tracing-sdk) once tracing is known to be on.
import type { startSdk as StartSdk } from './tracing-sdk';

export interface TracingOptions {
  /** Defaults to the entry script's package name (`floodgate-api`), then OTEL_SERVICE_NAME wins. */
  serviceName?: string;
  serviceVersion?: string;
  /** The parsed variables; read from process.env when absent. */
  settings?: TelemetrySettings;
}

export interface Tracing {
  enabled: boolean;
  serviceName: string;
  /** Flushes and stops the exporter: call it on graceful shutdown so the last spans are not lost. */
  shutdown(): Promise<void>;
}

let current: Tracing | undefined;

/** Starts tracing once per process; a second call returns the first instance. */
export function startTracing(options: TracingOptions = {}): Tracing {
  if (current) return current;
  const settings = options.settings ?? telemetrySettings();
  const identity = findServiceIdentity(process.argv[1]);
  const serviceName = settings.OTEL_SERVICE_NAME ?? options.serviceName ?? identity.name;
  // Logs carry the active trace even when export is disabled: ids still join log lines of one request.
  setSpanContextProvider(() => {
    const ctx = trace.getActiveSpan()?.spanContext();
    return ctx && isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : undefined;
  });
  if (settings.OTEL_SDK_DISABLED) {
    current = { enabled: false, serviceName, shutdown: async () => undefined };
    return current;
  }
  // Loaded here, not at the top: with tracing off, no service pays for the SDK (about 55 MiB of RSS for the preload, docs/benchmarks.md).
  const { startSdk } = require('./tracing-sdk') as { startSdk: typeof StartSdk };
  const sdk = startSdk(settings, serviceName, options.serviceVersion ?? identity.version);
  current = { enabled: true, serviceName, shutdown: () => sdk.shutdown() };
  return current;
}

/** Flushes and stops tracing if it was started (safe to call from any shutdown path). */
export async function shutdownTracing(): Promise<void> {
  await current?.shutdown();
}
