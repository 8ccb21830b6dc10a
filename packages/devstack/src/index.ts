/** Public API of the local stack, for tests, benchmarks and the demo. */
export {
  up,
  down,
  restart,
  stopServer,
  startServer,
  updateServer,
  status,
  readStack,
  stackEnv,
  leftoverProcesses,
  serverModules,
  defaultServers,
} from './stack';
export type { StackFile, ServerStatus } from './stack';
export { StackError } from './stack-error';
export { postgresUrl, stopPostgresMember, startPostgresMember } from './servers/postgres';
export type { PostgresState } from './servers/postgres';
export type { KafkaState } from './servers/kafka';
export type { RedisState } from './servers/redis';
export type { KubeState } from './servers/kube-apiserver';
export type { JaegerState } from './servers/jaeger';
export { writeScrapeTargets } from './servers/prometheus';
export type { PrometheusState, ScrapeTarget } from './servers/prometheus';
export { freePort } from './free-port';
export { defaultStateDir, repoRoot, cacheDir } from './paths';
