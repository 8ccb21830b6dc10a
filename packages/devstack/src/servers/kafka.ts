/**
 * Apache Kafka in KRaft mode (one combined broker + controller) from Maven Central
 * jars, with a PLAINTEXT listener and a SASL_SSL listener (SCRAM-SHA-512, a
 * certificate signed by a CA this module makes) so clients connect the way they
 * will to Strimzi or a managed Kafka.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { topicSpecs } from '@floodgate/config';
import { isRunning, requireCommand, run, startDaemon, stopDaemon, waitFor } from '../daemon';
import { cacheDir } from '../paths';
import { portFromEnv } from '../free-port';
import type { ServerContext, ServerModule, ServerState } from '../server';
import { StackError } from '../stack-error';

/**
 * A KRaft cluster id: 16 random bytes, base64url. One in 64 of those starts with '-', which the storage tool reads
 * as an option (`format -t -abc...` fails); Kafka's own Uuid.randomUuid() draws again in that case, and so do we.
 */
export function newClusterId(randomBytes: (n: number) => Buffer = crypto.randomBytes): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaState extends ServerState {
  version: string;
  port: number;
  saslSslPort: number;
  controllerPort: number;
  clusterId: string;
  scram: { mechanism: 'scram-sha-512'; username: string; password: string };
  caFile: string;
  topicPrefix: string;
}

const POM = path.join(__dirname, '..', '..', 'kafka', 'pom.xml');

export function kafkaVersion(): string {
  const m = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  if (!m?.[1]) throw new Error(`no <kafka.version> in ${POM}`);
  return m[1];
}

/** The folder of broker jars for this version, fetched by Maven once and cached. */
export async function ensureKafkaJars(): Promise<string> {
  const version = kafkaVersion();
  const libs = path.join(cacheDir(), `kafka-${version}`, 'libs');
  if (fs.existsSync(path.join(libs, `kafka_2.13-${version}.jar`))) return libs;
  const mvn = requireCommand('mvn', 'install Maven: apt-get install -y maven (or run scripts/bootstrap.sh)');
  const tmp = `${libs}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await run(
    mvn,
    ['-B', '-q', '-f', POM, 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`],
    {
      what: `fetching Kafka ${version} jars from Maven Central`,
      fix: 'check that Maven Central is reachable (mvn -v; ~/.m2/settings.xml mirrors) and retry',
    },
  );
  fs.rmSync(libs, { recursive: true, force: true });
  fs.renameSync(tmp, libs);
  return libs;
}

function requireJava(): string {
  const java = requireCommand('java', 'install Java 17 or newer: apt-get install -y openjdk-17-jre-headless');
  const res = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const m = /version "(\d+)/.exec(`${res.stderr}${res.stdout}`);
  const major = m?.[1] ? Number(m[1]) : 0;
  if (major < 17) {
    throw new StackError(
      `Kafka ${kafkaVersion()} needs Java 17 or newer; ${java} is ${m ? `Java ${major}` : 'not a working Java'}`,
      'install Java 17: apt-get install -y openjdk-17-jre-headless, and put it first on PATH',
    );
  }
  return java;
}

async function makeCertificates(dir: string, storePassword: string): Promise<{ keystore: string; caFile: string }> {
  const openssl = requireCommand('openssl', 'install OpenSSL: apt-get install -y openssl');
  const f = (n: string) => path.join(dir, n);
  const opts = { what: 'making the Kafka TLS certificates', fix: 'check that openssl works (openssl version)' };
  await run(
    openssl,
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '30', '-subj', '/CN=floodgate-devstack-ca'],
    opts,
  );
  await run(openssl, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('broker.key'), '-out', f('broker.csr'), '-subj', '/CN=localhost'], opts);
  fs.writeFileSync(f('broker.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await run(
    openssl,
    [
      'x509',
      '-req',
      '-in',
      f('broker.csr'),
      '-CA',
      f('ca.crt'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f('broker.crt'),
      '-days',
      '30',
      '-extfile',
      f('broker.ext'),
    ],
    opts,
  );
  await run(
    openssl,
    [
      'pkcs12',
      '-export',
      '-in',
      f('broker.crt'),
      '-inkey',
      f('broker.key'),
      '-certfile',
      f('ca.crt'),
      '-name',
      'broker',
      '-out',
      f('broker.p12'),
      '-passout',
      `pass:${storePassword}`,
    ],
    opts,
  );
  return { keystore: f('broker.p12'), caFile: f('ca.crt') };
}

function serverProperties(s: KafkaState, keystore: string, storePassword: string): string {
  return `# written by @floodgate/devstack for this run
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${s.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${s.port},SASL_SSL://127.0.0.1:${s.saslSslPort},CONTROLLER://127.0.0.1:${s.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${s.port},SASL_SSL://127.0.0.1:${s.saslSslPort}
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=${keystore}
ssl.keystore.password=${storePassword}
ssl.key.password=${storePassword}
log.dirs=${path.join(s.dir, 'data')}
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`;
}

/**
 * The broker's JVM options: the heap (`FLOODGATE_KAFKA_HEAP`, default 768m), G1, its GC pauses logged with wall time
 * to `<dir>/gc.log` as Kafka's own start script keeps them (a stalled produce can be checked against it), and
 * `FLOODGATE_KAFKA_JVM_OPTS` last (what Kafka's scripts call KAFKA_OPTS: a JIT or JFR log, say), split on whitespace.
 */
export function brokerJvmOptions(dir: string, env: NodeJS.ProcessEnv): string[] {
  return [
    '-Xms256m',
    `-Xmx${env.FLOODGATE_KAFKA_HEAP || '768m'}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    `-Xlog:gc:file=${path.join(dir, 'gc.log')}:time,uptime:filecount=2,filesize=20m`,
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=info',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    ...(env.FLOODGATE_KAFKA_JVM_OPTS ?? '').split(/\s+/).filter(Boolean),
  ];
}

export function kafkaClientConfig(s: KafkaState) {
  return { clientId: 'floodgate-devstack', brokers: [`127.0.0.1:${s.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } };
}

export const kafkaServer: ServerModule<KafkaState> = {
  name: 'kafka',

  async start(ctx: ServerContext, previous?: KafkaState): Promise<KafkaState> {
    const java = requireJava();
    const libs = await ensureKafkaJars();
    const classpath = `${libs}/*`;
    const logFile = path.join(ctx.dir, 'kafka.log');
    const configFile = path.join(ctx.dir, 'server.properties');
    let state: KafkaState;
    if (ctx.keepData && previous) {
      state = { ...previous, pids: [] };
    } else {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      fs.mkdirSync(ctx.dir, { recursive: true });
      const storePassword = crypto.randomBytes(12).toString('hex');
      const { keystore, caFile } = await makeCertificates(ctx.dir, storePassword);
      state = {
        version: kafkaVersion(),
        dir: ctx.dir,
        pids: [],
        logFiles: [logFile],
        port: await portFromEnv('FLOODGATE_KAFKA_PORT', 'Kafka PLAINTEXT listener'),
        saslSslPort: await portFromEnv('FLOODGATE_KAFKA_SASL_SSL_PORT', 'Kafka SASL_SSL listener'),
        controllerPort: await portFromEnv('FLOODGATE_KAFKA_CONTROLLER_PORT', 'Kafka controller listener'),
        clusterId: newClusterId(),
        scram: { mechanism: 'scram-sha-512', username: 'floodgate', password: crypto.randomBytes(12).toString('hex') },
        caFile,
        topicPrefix: process.env.FLOODGATE_TOPIC_PREFIX ?? 'floodgate',
      };
      fs.writeFileSync(configFile, serverProperties(state, keystore, storePassword));
      await run(
        java,
        [
          '-Xmx256m',
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '-t',
          state.clusterId,
          '-c',
          configFile,
          '--add-scram',
          `SCRAM-SHA-512=[name=${state.scram.username},password=${state.scram.password}]`,
        ],
        {
          what: 'formatting the Kafka storage',
          fix: `remove ${ctx.dir} and retry (a stale data folder from another run)`,
        },
      );
    }
    const pid = startDaemon(java, [...brokerJvmOptions(ctx.dir, process.env), '-cp', classpath, 'kafka.Kafka', configFile], { logFile, cwd: ctx.dir });
    state.pids = [pid];
    await waitFor('Kafka', () => describe(state), { timeoutMs: 90000, pid, logFile });
    await createTopics(state);
    // Answering metadata is not yet taking writes: after a restart, leaders and producer-id
    // allocation come a little later. Ready means an idempotent acks=all write succeeds.
    await waitFor('Kafka accepting idempotent writes', () => probeWrite(state), { timeoutMs: 60000, pid, logFile });
    return state;
  },

  async stop(state: KafkaState): Promise<void> {
    for (const pid of state.pids) await stopDaemon(pid, 'SIGTERM', 30000);
  },

  async check(state: KafkaState): Promise<string> {
    if (!state.pids.some(isRunning)) throw new Error('not running');
    const info = await describe(state);
    return `Kafka ${state.version} (KRaft) PLAINTEXT 127.0.0.1:${state.port}, SASL_SSL 127.0.0.1:${state.saslSslPort}, ${info.brokers} broker(s), ${info.topics} topics`;
  },

  env(state: KafkaState): Record<string, string> {
    return {
      KAFKA_BROKERS: `127.0.0.1:${state.port}`,
      KAFKA_TOPIC_PREFIX: state.topicPrefix,
      FLOODGATE_KAFKA_SASL_SSL_BROKERS: `127.0.0.1:${state.saslSslPort}`,
      FLOODGATE_KAFKA_SCRAM_USERNAME: state.scram.username,
      FLOODGATE_KAFKA_SCRAM_PASSWORD: state.scram.password,
      FLOODGATE_KAFKA_CA_FILE: state.caFile,
      FLOODGATE_KAFKA_LIBS: path.join(cacheDir(), `kafka-${state.version}`, 'libs'),
    };
  },
};

async function describe(state: KafkaState): Promise<{ brokers: number; topics: number }> {
  const admin = new Kafka(kafkaClientConfig(state)).admin();
  await admin.connect();
  try {
    const cluster = await admin.describeCluster();
    const topics = await admin.listTopics();
    return { brokers: cluster.brokers.length, topics: topics.filter((t) => !t.startsWith('__')).length };
  } finally {
    await admin.disconnect();
  }
}

const READINESS_TOPIC = 'devstack.readiness';

/** One idempotent acks=all write to a topic of the stack's own, as every Floodgate producer writes. */
async function probeWrite(state: KafkaState): Promise<void> {
  const kafka = new Kafka({ ...kafkaClientConfig(state), retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(READINESS_TOPIC)) {
      await admin.createTopics({ topics: [{ topic: READINESS_TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
  // kafkajs refuses an idempotent producer without retries; waitFor repeats the whole probe anyway.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 1, initialRetryTime: 100 } });
  await producer.connect();
  try {
    await producer.send({ topic: READINESS_TOPIC, acks: -1, timeout: 5000, messages: [{ value: 'ready' }] });
  } finally {
    await producer.disconnect();
  }
}

async function createTopics(state: KafkaState): Promise<void> {
  const admin = new Kafka(kafkaClientConfig(state)).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = topicSpecs(state.topicPrefix).filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      await admin.createTopics({ topics: wanted.map((t) => ({ ...t, replicationFactor: 1 })), waitForLeaders: true });
    }
  } catch (err) {
    throw new StackError(`creating the Kafka topics failed: ${(err as Error).message}`, `read ${path.join(state.dir, 'kafka.log')}`, { cause: err });
  } finally {
    await admin.disconnect();
  }
}
