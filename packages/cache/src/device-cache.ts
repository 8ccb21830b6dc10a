/**
 * The device-state cache in Redis. Both writers use one compare-and-set script: the
 * worker after its database commit, and the API when it fills a miss from a replica.
 * A write lands only if it is newer by (event time, event id) than what the cache
 * holds, so replays, out-of-order events and a racing replica fill can never move the
 * cache backwards. The database's upsert orders states by the same pair.
 */
import type Redis from 'ioredis';

export interface DeviceState {
  deviceId: string;
  eventId: string;
  /** Event time, RFC 3339 UTC. */
  ts: string;
  metrics: Record<string, number>;
  payload?: Record<string, unknown>;
  /** When the state was stored in the database. */
  updatedAt: string;
}

/** A `devices` row as PostgreSQL returns it (last_event_id selected as text). */
export interface DeviceRow {
  device_id: string;
  last_event_id: string;
  last_ts: Date;
  metrics: Record<string, number>;
  payload: Record<string, unknown> | null;
  updated_at: Date;
}

/** The columns to select for `deviceStateFromRow`. */
export const deviceStateColumns = 'device_id, last_event_id::text, last_ts, metrics, payload, updated_at';

/** The cached form of a device row: what the worker writes after its commit and the API fills from a replica. */
export function deviceStateFromRow(r: DeviceRow): DeviceState {
  return {
    deviceId: r.device_id,
    eventId: r.last_event_id,
    ts: r.last_ts.toISOString(),
    metrics: r.metrics,
    ...(r.payload ? { payload: r.payload } : {}),
    updatedAt: r.updated_at.toISOString(),
  };
}

export const deviceKey = (prefix: string, deviceId: string) => `${prefix}:device:${deviceId}`;

// KEYS[1] = device key; ARGV = ts_ms, event_id, json, ttl_ms.
// The order key is "<ts_ms zero-padded to 15 digits>|<event id>": comparing the strings
// compares (ts, eventId) without floating point.
const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'order')
local order = string.format('%015d', tonumber(ARGV[1])) .. '|' .. ARGV[2]
if current and current >= order then
  return 0
end
redis.call('HSET', KEYS[1], 'order', order, 'state', ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
`;

type CacheRedis = Redis & { floodgateCasDeviceState(key: string, tsMs: string, eventId: string, json: string, ttlMs: string): Promise<number> };

export class DeviceCache {
  private readonly redis: CacheRedis;

  constructor(
    redis: Redis,
    private readonly prefix = 'floodgate',
  ) {
    if (!('floodgateCasDeviceState' in redis)) redis.defineCommand('floodgateCasDeviceState', { numberOfKeys: 1, lua: CAS_SCRIPT });
    this.redis = redis as CacheRedis;
  }

  /** Writes `state` unless the cache already holds a state at least as new; true if written. */
  async writeIfNewer(state: DeviceState, ttlMs: number): Promise<boolean> {
    const written = await this.redis.floodgateCasDeviceState(
      deviceKey(this.prefix, state.deviceId),
      String(Date.parse(state.ts)),
      state.eventId,
      JSON.stringify(state),
      String(Math.max(1, Math.round(ttlMs))),
    );
    return written === 1;
  }

  /** Writes many states in one round trip; returns how many were newer than the cache. */
  async writeManyIfNewer(states: DeviceState[], ttlMs: number): Promise<number> {
    if (states.length === 0) return 0;
    const pipeline = this.redis.pipeline() as unknown as {
      floodgateCasDeviceState(...args: string[]): void;
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    for (const s of states)
      pipeline.floodgateCasDeviceState(
        deviceKey(this.prefix, s.deviceId),
        String(Date.parse(s.ts)),
        s.eventId,
        JSON.stringify(s),
        String(Math.max(1, Math.round(ttlMs))),
      );
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    return results.filter(([, v]) => v === 1).length;
  }

  async read(deviceId: string): Promise<DeviceState | undefined> {
    const json = await this.redis.hget(deviceKey(this.prefix, deviceId), 'state');
    return json ? (JSON.parse(json) as DeviceState) : undefined;
  }
}
