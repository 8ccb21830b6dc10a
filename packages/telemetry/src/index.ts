/** Tracing bootstrap, Kafka trace-context helpers and Prometheus plumbing for Floodgate's services. */
export { startTracing, shutdownTracing } from './tracing';
export { floodgateInstrumentations } from './tracing-sdk';
export type { Tracing, TracingOptions } from './tracing';
export { telemetrySettings, telemetrySchema } from './telemetry-settings';
export type { TelemetrySettings } from './telemetry-settings';
export { findServiceIdentity, serviceNameFromPackage } from './service-identity';
export { injectTraceHeaders, extractTraceContext, withExtractedContext, withBatchContext, sendInContext, producerContextOf } from './kafka-trace-context';
export type { TraceHeaders, KafkaHeaders, ProcessSpanOptions, ProducerContext, TracedMessage } from './kafka-trace-context';
export { FloodgateKafkaJsInstrumentation } from './kafkajs-instrumentation';
export { registerProcessMetrics, metricsHandler } from './process-metrics';
export { registerQueryGauge } from './query-gauge';
export type { QueryGauge, QueryGaugeOptions, GaugeSample } from './query-gauge';
export { registerReplicaLagGauge, readReplicaLag, replicaLagQuery } from './replica-lag';
export type { StandbyPool, ReplicaLagGaugeOptions } from './replica-lag';
