/**
 * The one tracing bootstrap for the API, worker and operator: the OpenTelemetry Node SDK with the
 * http, express, kafkajs, pg and ioredis instrumentations only, OTLP/protobuf export configured by the
 * standard OTEL_* variables, Kubernetes pod attributes from the downward API, and trace ids in pino logs.
 */
import { isSpanContextValid, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { envDetector, hostDetector, processDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { setSpanContextProvider } from '@floodgate/config';
import { FloodgateKafkaJsInstrumentation } from './kafkajs-instrumentation';
import { findServiceIdentity } from './service-identity';
import { telemetrySettings, type TelemetrySettings } from './telemetry-settings';

/** Paths polled by kubelet and Prometheus every few seconds: tracing them would bury the real requests. */
const untracedPaths = new Set(['/healthz', '/readyz', '/metrics']);

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

/** The instrumentations we support, configured so no payload or secret lands in a span. */
export function floodgateInstrumentations(): Instrumentation[] {
  return [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => untracedPaths.has((req.url ?? '').split('?')[0] ?? ''),
    }),
    // Route handlers and routers only: one span per anonymous middleware (auth, body parser, headers) is noise.
    new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
    // Respects the request context pinned to each message by sendInContext (coalesced sends keep every request's trace).
    new FloodgateKafkaJsInstrumentation(),
    // enhancedDatabaseReporting stays off: bound parameters are device payloads.
    new PgInstrumentation({ enhancedDatabaseReporting: false }),
    // The command name only: arguments are cache values (device state) and rate-limit keys (principals).
    new IORedisInstrumentation({ dbStatementSerializer: (command) => command }),
  ];
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
  const attributes: Record<string, string> = {
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: options.serviceVersion ?? identity.version,
    'service.namespace': 'floodgate',
  };
  if (settings.POD_NAME) attributes['k8s.pod.name'] = settings.POD_NAME;
  if (settings.POD_NAMESPACE) attributes['k8s.namespace.name'] = settings.POD_NAMESPACE;
  const sdk = new NodeSDK({
    resource: resourceFromAttributes(attributes),
    // OTEL_RESOURCE_ATTRIBUTES (envDetector) is merged last, so an operator's explicit attribute wins.
    resourceDetectors: [processDetector, hostDetector, serviceInstanceIdDetector, envDetector],
    serviceName,
    // The exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT/HEADERS itself; the sampler comes from OTEL_TRACES_SAMPLER(_ARG).
    traceExporter: new OTLPTraceExporter(),
    instrumentations: floodgateInstrumentations(),
    // Metrics are Prometheus (prom-client) and logs are pino to stdout: the SDK exports neither.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  current = { enabled: true, serviceName, shutdown: () => sdk.shutdown() };
  return current;
}

/** Flushes and stops tracing if it was started (safe to call from any shutdown path). */
export async function shutdownTracing(): Promise<void> {
  await current?.shutdown();
}
