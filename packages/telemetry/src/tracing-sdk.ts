/**
 * The OpenTelemetry Node SDK as Floodgate's services run it: the http, express, kafkajs, pg and ioredis
 * instrumentations only, OTLP/protobuf export configured by the standard OTEL_* variables, and Kubernetes pod
 * attributes from the downward API. Loaded by startTracing (./tracing) only when tracing is on.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ExpressInstrumentation, ExpressLayerType } from '@opentelemetry/instrumentation-express';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { envDetector, hostDetector, processDetector, resourceFromAttributes, serviceInstanceIdDetector } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { FloodgateKafkaJsInstrumentation } from './kafkajs-instrumentation';
import type { TelemetrySettings } from './telemetry-settings';

/** Paths polled by kubelet and Prometheus every few seconds: tracing them would bury the real requests. */
const untracedPaths = new Set(['/healthz', '/readyz', '/metrics']);

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

/** Starts the SDK for `serviceName`; returns it so the caller can shut it down. */
export function startSdk(settings: TelemetrySettings, serviceName: string, serviceVersion: string): NodeSDK {
  const attributes: Record<string, string> = {
    [ATTR_SERVICE_NAME]: serviceName,
    [ATTR_SERVICE_VERSION]: serviceVersion,
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
  return sdk;
}
