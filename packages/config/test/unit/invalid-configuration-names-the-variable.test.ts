import { z } from 'zod';
import { ConfigError, env, kafkaConnection, kafkaSettings, parseEnv } from '../../src';

const schema = z.object({ PORT: env.port(8080), KAFKA_SSL: env.bool(false), JWT_SECRET: z.string().min(32) });

describe('configuration from the environment', () => {
  it('applies defaults and coerces types', () => {
    const cfg = parseEnv(schema, { JWT_SECRET: 'x'.repeat(32) });
    expect(cfg).toEqual({ PORT: 8080, KAFKA_SSL: false, JWT_SECRET: 'x'.repeat(32) });
  });

  it('names every bad variable, and hides secret values', () => {
    let error: unknown;
    try {
      parseEnv(schema, { PORT: 'eighty', KAFKA_SSL: 'maybe', JWT_SECRET: 'short-secret' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT \("eighty"\)/);
    expect(message).toMatch(/KAFKA_SSL \("maybe"\): expected true or false/);
    expect(message).toMatch(/JWT_SECRET \(set \(hidden\)\)/);
    expect(message).not.toContain('short-secret');
  });

  it('builds kafkajs SASL/TLS options and refuses SASL without credentials', () => {
    const kafka = z.object(kafkaSettings);
    const ok = kafkaConnection(
      parseEnv(kafka, {
        KAFKA_BROKERS: 'a:9093, b:9093',
        KAFKA_SSL: 'true',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    );
    expect(ok.brokers).toEqual(['a:9093', 'b:9093']);
    expect(ok.ssl).toEqual({ rejectUnauthorized: true });
    expect(ok.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    expect(() => kafkaConnection(parseEnv(kafka, { KAFKA_BROKERS: 'a:9093', KAFKA_SASL_MECHANISM: 'plain' }))).toThrow(/KAFKA_SASL_USERNAME/);
  });
});
