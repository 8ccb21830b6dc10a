/** The standard OTEL_* variables (and the downward-API pod variables) the tracing bootstrap reads, parsed once. */
import { z } from 'zod';
import { env, parseEnv } from '@floodgate/config';

const samplers = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

export const telemetrySchema = z.object({
  OTEL_SDK_DISABLED: env.bool(false),
  OTEL_SERVICE_NAME: env.optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: env.url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: env.url().optional(),
  OTEL_TRACES_SAMPLER: z.enum(samplers, { message: `expected one of ${samplers.join(', ')}` }).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).optional(),
  OTEL_RESOURCE_ATTRIBUTES: z.string().optional(),
  POD_NAME: env.optional(),
  POD_NAMESPACE: env.optional(),
});

export type TelemetrySettings = z.infer<typeof telemetrySchema>;

export function telemetrySettings(source: NodeJS.ProcessEnv = process.env): TelemetrySettings {
  return parseEnv(telemetrySchema, source);
}
