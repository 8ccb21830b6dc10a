/** The shape every local server module has: start, stop, check, and the environment it offers. */
export interface ServerContext {
  /** This server's own folder under the stack's state folder (data, logs, config). */
  dir: string;
  /** Keep existing data (a restart) instead of creating it afresh. */
  keepData: boolean;
}

export interface ServerModule<S extends ServerState = ServerState> {
  name: string;
  /** Starts the server and returns when it is ready for use. */
  start(ctx: ServerContext, previous?: S): Promise<S>;
  /** Stops every process of the server; idempotent. */
  stop(state: S): Promise<void>;
  /** A one-line health summary; throws if the server does not answer. */
  check(state: S): Promise<string>;
  /** Environment variables that point Floodgate's services (and tests) at it. */
  env(state: S): Record<string, string>;
}

export interface ServerState {
  pids: number[];
  dir: string;
  logFiles: string[];
}
