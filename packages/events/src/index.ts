/** Device events: schema, limits, validation, Kafka encoding. */
export { eventSchema, validateEvent, plainlyValidEvent, jsonDepth, unstorableText, limits, deviceIdPattern, metricNamePattern } from './event-schema';
export type { DeviceEvent, EventInput, EventProblem, ValidationResult } from './event-schema';
export {
  encodeEventMessage,
  encodeEventMessages,
  eventMessageHeaders,
  decodeEventMessage,
  headerNames,
  SCHEMA_VERSION,
  PoisonMessageError,
} from './event-message';
export type { EventMessage } from './event-message';
