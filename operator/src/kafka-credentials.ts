/**
 * Builds the Kafka connection for one LagScaler: its bootstrap servers, and TLS and SASL
 * credentials read from Secrets in the LagScaler's namespace (cached briefly, so a steady
 * reconcile does not read them every poll, yet a rotated Secret is picked up within a minute).
 */
import type { KafkaConnection } from '@floodgate/config';
import { isNotFound, type KubeClient } from './kube-client';
import type { LagScalerSpec } from './lagscaler-spec';

export class SecretError extends Error {
  constructor(
    readonly reason: 'SecretNotFound' | 'SecretKeyMissing',
    readonly secret: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecretError';
  }
}

export interface KafkaClientDefaults {
  clientId: string;
  connectionTimeout: number;
  requestTimeout: number;
}

export class KafkaCredentials {
  private readonly cache = new Map<string, { at: number; data: Record<string, string> }>();

  constructor(
    private readonly kube: KubeClient,
    private readonly defaults: KafkaClientDefaults,
    private readonly ttlMs = 60_000,
    private readonly clock: () => number = Date.now,
  ) {}

  async connectionFor(namespace: string, kafka: LagScalerSpec['kafka']): Promise<KafkaConnection> {
    const conn: KafkaConnection = { ...this.defaults, brokers: kafka.bootstrapServers };
    if (kafka.tls?.enabled) {
      const ca = kafka.tls.caSecretRef ? await this.value(namespace, kafka.tls.caSecretRef.name, kafka.tls.caSecretRef.key) : undefined;
      conn.ssl = { rejectUnauthorized: !kafka.tls.insecureSkipVerify, ...(ca ? { ca: [ca] } : {}) };
    }
    if (kafka.sasl) {
      const ref = kafka.sasl.secretRef;
      conn.sasl = {
        mechanism: kafka.sasl.mechanism,
        username: await this.value(namespace, ref.name, ref.usernameKey),
        password: await this.value(namespace, ref.name, ref.passwordKey),
      };
    }
    return conn;
  }

  private async value(namespace: string, name: string, key: string): Promise<string> {
    const data = await this.secret(namespace, name);
    const v = data[key];
    if (v === undefined) throw new SecretError('SecretKeyMissing', `${namespace}/${name}`, `Secret ${namespace}/${name} has no key "${key}"`);
    return v;
  }

  private async secret(namespace: string, name: string): Promise<Record<string, string>> {
    const k = `${namespace}/${name}`;
    const hit = this.cache.get(k);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.data;
    try {
      const s = await this.kube.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
      );
      const data = Object.fromEntries(Object.entries(s.data ?? {}).map(([key, b64]) => [key, Buffer.from(b64, 'base64').toString('utf8')]));
      this.cache.set(k, { at: this.clock(), data });
      return data;
    } catch (err) {
      if (isNotFound(err)) throw new SecretError('SecretNotFound', k, `Secret ${k} does not exist`, { cause: err });
      throw err;
    }
  }
}
