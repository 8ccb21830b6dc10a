/** Shared configuration: environment parsing, shared settings, topic names, logger. */
export { parseEnv, env, ConfigError } from './parse-env';
export { loggingSettings, kafkaSettings, postgresSettings, redisSettings, kafkaConnection } from './shared-settings';
export type { KafkaConnection } from './shared-settings';
export { topicNames, topicPartitions, topicSpecs } from './topics';
export type { TopicNames } from './topics';
export { createLogger, setSpanContextProvider } from './logger';
export type { Logger } from './logger';
export { kafkaLogCreator } from './kafka-log';
