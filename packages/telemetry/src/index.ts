/** Tracing bootstrap, Kafka trace-context helpers and Prometheus plumbing for Floodgate's services. */
export { startTracing, shutdownTracing, floodgateInstrumentations } from './tracing';
export type { Tracing, TracingOptions } from './tracing';
export { telemetrySettings, telemetrySchema } from './telemetry-settings';
export type { TelemetrySettings } from './telemetry-settings';
export { findServiceIdentity, serviceNameFromPackage } from './service-identity';
export { injectTraceHeaders, extractTraceContext, withExtractedContext } from './kafka-trace-context';
export type { TraceHeaders, KafkaHeaders, ProcessSpanOptions } from './kafka-trace-context';
export { registerProcessMetrics, metricsHandler } from './process-metrics';
