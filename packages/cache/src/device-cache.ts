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

/**
 * A device state as the cache stores it: its JSON, and the event time (ms) and event id the compare-and-set orders
 * it by. The worker builds it from the event it stored (`deviceCacheEntryOfEvent`), or, for a device whose stored state
 * is newer than the batch, gets it straight from PostgreSQL (`deviceCacheEntryColumns`).
 */
export interface DeviceCacheEntry {
  deviceId: string;
  eventId: string;
  /** Event time in ms since the epoch, as a decimal string. */
  tsMs: string;
  /** The state's JSON: parses to what `deviceStateFromRow` gives for the same row. */
  json: string;
}

/** A `devices` row selected with `deviceCacheEntryColumns`. */
export interface DeviceCacheEntryRow {
  device_id: string;
  event_id: string;
  ts_ms: string;
  state: string;
}

// Times as Date.toISOString() writes them: UTC, milliseconds truncated as node-postgres truncates them.
const isoUtc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const stateJson = (withPayload: boolean) =>
  `json_build_object('deviceId', device_id, 'eventId', last_event_id, 'ts', ${isoUtc('last_ts')}, 'metrics', metrics, ${
    withPayload ? `'payload', payload, ` : ''
  }'updatedAt', ${isoUtc('updated_at')})`;

/**
 * The columns to select from `devices` for `deviceCacheEntryFromRow`: the cached JSON
 * built by PostgreSQL, with the same keys in the same order as `deviceStateFromRow`, and `payload` left out when
 * it is NULL, as there.
 */
export const deviceCacheEntryColumns = `device_id, last_event_id::text AS event_id, floor(extract(epoch FROM last_ts) * 1000)::bigint::text AS ts_ms,
  (CASE WHEN payload IS NULL THEN ${stateJson(false)} ELSE ${stateJson(true)} END)::text AS state`;

export function deviceCacheEntryFromRow(r: DeviceCacheEntryRow): DeviceCacheEntry {
  return { deviceId: r.device_id, eventId: r.event_id, tsMs: r.ts_ms, json: r.state };
}

/**
 * A JSON value as node-postgres gives it back from a jsonb column: every object's keys in jsonb's order (shorter keys
 * first, keys of one length by their UTF-8 bytes; JavaScript then puts integer-like keys first, as it does for the
 * parsed column). Duplicate keys cannot occur: JSON.parse kept the last, as jsonb does. An own `__proto__` key stays
 * an own key.
 */
export function inJsonbOrder(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(inJsonbOrder);
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  if (keys.length > 1) keys.sort(keys.every((k) => printableAscii.test(k)) ? asciiKeyOrder : utf8KeyOrder);
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const v = inJsonbOrder(source[key]);
    if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
    else out[key] = v;
  }
  return out;
}

// Printable ASCII: keys with other characters (control characters included) take the byte comparison.
const printableAscii = /^[\x20-\x7e]*$/;

/** jsonb's order of object keys (by length in UTF-8 bytes, then bytewise) for ASCII keys, whose UTF-16 order is their byte order. */
const asciiKeyOrder = (a: string, b: string): number => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/** jsonb's order of object keys for any keys. */
function utf8KeyOrder(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}

// toISOString's form with every field in range (month 01-12, day 01-31, hour 00-23, minute and second 00-59).
const isoInRange = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;

/**
 * `new Date(ms).toISOString()` for `ts` whose `Date.parse` is `ms`: `ts` itself when it is already in that form and
 * names a real day, so Date did not roll it over (a worker's events are: the API and the decoder normalise them), which
 * costs about 25 ns instead of the 470 of formatting a Date.
 */
export function isoOfParsedTime(ts: string, ms: number): string {
  if (isoInRange.test(ts)) {
    const day = Number(ts.slice(8, 10));
    if (day <= 28 || day <= daysInMonth(Number(ts.slice(0, 4)), Number(ts.slice(5, 7)))) return ts;
  }
  return new Date(ms).toISOString();
}

/**
 * The cache entry of a device after the database stored `event` as its latest state: built in JavaScript, and equal
 * (JSON bytes included) to `deviceCacheEntry(deviceStateFromRow(row))` of the stored row, what the API builds on a
 * miss. `tsMs` is `Date.parse(event.ts)`; `updatedAt` the transaction's now() in `toISOString` form. The JSON is
 * written directly, in `DeviceState`'s key order, not through an intermediate state object.
 */
export function deviceCacheEntryOfEvent(
  event: { deviceId: string; eventId: string; ts: string; metrics: Record<string, number>; payload?: Record<string, unknown> | null },
  tsMs: number,
  updatedAt: string,
): DeviceCacheEntry {
  const eventId = event.eventId.toLowerCase();
  const payload = event.payload != null ? `,"payload":${JSON.stringify(inJsonbOrder(event.payload))}` : '';
  const json =
    `{"deviceId":${JSON.stringify(event.deviceId)},"eventId":${JSON.stringify(eventId)},"ts":"${isoOfParsedTime(event.ts, tsMs)}",` +
    `"metrics":${JSON.stringify(inJsonbOrder(event.metrics))}${payload},"updatedAt":"${updatedAt}"}`;
  return { deviceId: event.deviceId, eventId, tsMs: String(tsMs), json };
}

/** The cache entry of a state built in JavaScript (the API's fill from a replica, the worker's stored events). */
export function deviceCacheEntry(state: DeviceState): DeviceCacheEntry {
  return { deviceId: state.deviceId, eventId: state.eventId, tsMs: String(Date.parse(state.ts)), json: JSON.stringify(state) };
}

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

/**
 * The hash field the compare-and-set orders an entry by, "<ts_ms zero-padded to 15 digits>|<event id>", written in
 * the same script call as the state: short enough to poll for a given event without reading the state.
 */
export const deviceOrderField = 'order';

/** Whether an entry's order field (`deviceOrderField`) is that of the state of event `eventId`. */
export const orderIsEvent = (order: string | null | undefined, eventId: string): boolean => order?.endsWith(`|${eventId}`) ?? false;

/**
 * An entry's order field, "<ts_ms zero-padded to 15 digits>|<event id>": comparing the strings compares (ts, eventId)
 * without floating point. `tsMs` is a whole number of ms as a decimal string; the padding is C's `%015d`, which the
 * script itself applied before (so a cache written by an older worker or API compares the same way).
 */
export function orderOf(tsMs: string, eventId: string): string {
  const padded = tsMs.startsWith('-') ? `-${tsMs.slice(1).padStart(14, '0')}` : tsMs.padStart(15, '0');
  return `${padded}|${eventId}`;
}

// KEYS = device keys; ARGV[1] = ttl_ms, then for the i-th key ARGV[2i], ARGV[2i + 1] = its order field (orderOf) and
// its json. Returns how many keys were written. The order comes built: formatting it in the script took a fifth of
// Redis's CPU per device (about 1.3 of 5.9 µs, measured with a throwaway script on this machine's Redis 7.0).
// One call covers many devices: per call, Redis and the client pay a fixed cost (a script run, a command object, a
// reply) that one call per device would pay per device.
// The keys may lie in different hash slots: the cache is one Redis (charts/floodgate-redis), not a Redis Cluster.
const CAS_SCRIPT = `
local ttl = ARGV[1]
local written = 0
for i = 1, #KEYS do
  local order = ARGV[2 * i]
  local current = redis.call('HGET', KEYS[i], '${deviceOrderField}')
  if not current or current < order then
    redis.call('HSET', KEYS[i], '${deviceOrderField}', order, 'state', ARGV[2 * i + 1])
    redis.call('PEXPIRE', KEYS[i], ttl)
    written = written + 1
  end
end
return written
`;

/** Devices per script call: a call runs atomically and holds Redis meanwhile, so a large batch is split. */
export const CAS_DEVICES_PER_CALL = 500;

/** The script's command as ioredis defines it: the number of keys first, then the keys, then the arguments. */
type Cas = (...numberOfKeysKeysThenArgs: string[]) => unknown;
type CacheRedis = Redis & { floodgateCasDeviceStates: (...numberOfKeysKeysThenArgs: string[]) => Promise<number> };

export class DeviceCache {
  private readonly redis: CacheRedis;

  constructor(
    redis: Redis,
    private readonly prefix = 'floodgate',
  ) {
    // numberOfKeys is given per call (the first argument), so one script serves any number of devices.
    if (!('floodgateCasDeviceStates' in redis)) redis.defineCommand('floodgateCasDeviceStates', { lua: CAS_SCRIPT });
    this.redis = redis as CacheRedis;
  }

  /** Writes `state` unless the cache already holds a state at least as new; true if written. */
  async writeIfNewer(state: DeviceState, ttlMs: number): Promise<boolean> {
    return (await this.writeManyIfNewer([deviceCacheEntry(state)], ttlMs)) === 1;
  }

  /**
   * Writes many entries in one round trip (one script call per `CAS_DEVICES_PER_CALL` devices); returns how many
   * were newer than the cache. Each device is compared and set on its own, as `writeIfNewer` would.
   */
  async writeManyIfNewer(entries: DeviceCacheEntry[], ttlMs: number): Promise<number> {
    if (entries.length === 0) return 0;
    const ttl = String(Math.max(1, Math.round(ttlMs)));
    // Each call: the number of keys, the keys, the TTL, then (order, json) per key.
    const calls: string[][] = [];
    for (let from = 0; from < entries.length; from += CAS_DEVICES_PER_CALL) {
      const chunk = entries.slice(from, from + CAS_DEVICES_PER_CALL);
      const args = [String(chunk.length), ...chunk.map((e) => deviceKey(this.prefix, e.deviceId)), ttl];
      for (const e of chunk) args.push(orderOf(e.tsMs, e.eventId), e.json);
      calls.push(args);
    }
    if (calls.length === 1) return Number(await this.redis.floodgateCasDeviceStates(...calls[0]!));
    const pipeline = this.redis.pipeline() as unknown as { floodgateCasDeviceStates: Cas; exec(): Promise<[Error | null, unknown][] | null> };
    for (const args of calls) pipeline.floodgateCasDeviceStates(...args);
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err);
    if (failed) throw failed[0];
    return results.reduce((n, [, v]) => n + Number(v), 0);
  }

  async read(deviceId: string): Promise<DeviceState | undefined> {
    const json = await this.redis.hget(deviceKey(this.prefix, deviceId), 'state');
    return json ? (JSON.parse(json) as DeviceState) : undefined;
  }
}
