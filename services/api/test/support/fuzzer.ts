/**
 * A fuzzer for the live API over real sockets, shared by the fuzz test (a short run) and `npm run fuzz` (a long
 * one). Requests come from fast-check arbitraries, seeded so a run can be repeated: every route of
 * /openapi.json plus unknown ones, any method; bodies that are valid events and batches, the same mutated (types
 * flipped, fields dropped or duplicated, prototype-pollution keys, huge strings, odd unicode and numbers, edge
 * times), truncated or corrupted JSON text, random JSON, random bytes, compressed or falsely labelled bodies;
 * random and mangled credentials; odd headers; and, over raw sockets, Content-Length that lies, control bytes
 * in headers and malformed chunking.
 *
 * Every answer is checked: no 5xx (a 503 with Retry-After and a problem body is counted apart: it is the
 * designed answer when Kafka is slow, never expected here), every 4xx an RFC 9457 problem whose status matches,
 * no stack trace anywhere. Every 202 is remembered with the events as the API must have produced them (derived
 * from the bytes sent, decoded the way the API decodes), so the caller can prove they are in Kafka unchanged.
 */
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { parseJson, stackTracePattern } from './http-calls';
import { rawRequest } from './raw-http';

export interface FuzzCredential {
  role: string;
  subject: string;
  /** Sent as `Authorization: Bearer` (a JWT) or `X-API-Key`. */
  kind: 'bearer' | 'apiKey';
  value: string;
}

export interface FuzzTarget {
  url: string;
  port: number;
  credentials: FuzzCredential[];
  /** Device ids the valid events use are `<devicePrefix>-0` .. `-7`; credentials for some of them are in `credentials`. */
  devicePrefix: string;
  /** Every alert rule the fuzzer's bodies could create carries this device selector, so it matches no other test's device. */
  ruleSelector: string;
  /** From /openapi.json: `{ method, path }` with `{id}` placeholders. */
  routes: { method: string; path: string }[];
}

/** An event as the API must have produced it to Kafka (key = deviceId). */
export interface AcceptedEvent {
  eventId: string;
  deviceId: string;
  /** Canonical JSON (sorted keys) of the value the API must have written. */
  canonical: string;
}

export interface Violation {
  label: string;
  request: string;
  status?: number;
  problem: string;
  response: string;
}

export interface FuzzReport {
  seed: number;
  requests: number;
  byStatus: Record<string, number>;
  byLabel: Record<string, number>;
  /** 503 with Retry-After and a problem body: designed backpressure, reported, not a defect. */
  unavailable: number;
  /** POST /v1/events whose outcome is unknown (a 503 with written "unknown", or no answer): their events may be in Kafka. */
  undeterminedIngest: number;
  violations: Violation[];
  accepted: AcceptedEvent[];
  /** Ids of alert rules a fuzzed PUT created, for the caller to delete. */
  createdRules: string[];
}

interface FuzzRequest {
  label: string;
  method: string;
  path: string;
  headers: [string, string][];
  body?: Buffer;
  /** Send over a bare socket (fetch would refuse or normalise the request). */
  raw: boolean;
  contentLength?: number | null;
  halfClose?: boolean;
}

type Pairs = [string, string][];
const objectText = (pairs: Pairs) => `{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
const j = (v: unknown) => JSON.stringify(v);
/** encodeURIComponent, with lone surrogates (which it refuses) sent as the replacement character's bytes. */
const uri = (s: string) => encodeURIComponent(s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'));

// ---------------------------------------------------------------- values

const oddStrings = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff',
    '\u202e\u0645\u0631\u062d\u0628\u0627',
    '🌧️⛰️',
    'e\u0301',
    '\ufeff',
    '../../etc/passwd',
    "' OR 1=1 --",
    '${jndi:ldap://x}',
    '<script>alert(1)</script>',
    '%00',
  ),
);
// Built once: generating a megabyte per sample would make the fuzzer, not the API, the bottleneck.
const hugeStringTexts = [200, 4096, 70 * 1024, 300 * 1024, 1100 * 1024].map((n) => j('h'.repeat(n)));
const hugeStringText = fc.constantFrom(...hugeStringTexts);
const specialKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf');
const anyKey = fc.oneof({ weight: 3, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 2, arbitrary: specialKeys }, { weight: 1, arbitrary: oddStrings });
const edgeNumbers = fc.constantFrom(
  '0',
  '-0',
  '5e-324',
  '1.7976931348623157e308',
  '9007199254740993',
  '1e400',
  '-1e400',
  '0.1e1',
  '1E2',
  '123456789012345678901234567890',
);
const finiteNumberText = fc.oneof(
  { weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => j(n)) },
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }).map((n) => j(n)) },
  { weight: 1, arbitrary: edgeNumbers },
);

/** A JSON object text with keys that may be special and values of any JSON. */
const objectWithOddKeys = (depth: number): fc.Arbitrary<string> =>
  fc
    .array(fc.tuple(anyKey, depth > 0 ? fc.oneof(fc.jsonValue({ maxDepth: 2 }).map(j), objectWithOddKeys(depth - 1)) : fc.jsonValue({ maxDepth: 1 }).map(j)), {
      maxLength: 6,
    })
    .map((pairs) => objectText(pairs));

const validTimeText = fc
  .tuple(
    fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date(Date.now() + 3_600_000), noInvalidDate: true }),
    fc.constantFrom(0, 0, 60, -300, 330, 840, -720),
  )
  .map(([d, offsetMinutes]) => {
    if (offsetMinutes === 0) return j(d.toISOString());
    const local = new Date(d.getTime() + offsetMinutes * 60_000).toISOString().slice(0, -1);
    const abs = Math.abs(offsetMinutes);
    return j(`${local}${offsetMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`);
  });
const oddTimeText = fc
  .constantFrom(
    '0000-01-01T00:00:00Z',
    '0001-01-01T00:00:00+01:00',
    '9999-12-31T23:59:59Z',
    '9999-12-31T23:59:59-23:59',
    '2026-11-23T23:59:60Z',
    '2026-02-30T00:00:00Z',
    '2026-11-23t10:00:00z',
    '2026-11-23T10:00:00+99:99',
    '2026-11-23T10:00:00',
    '2026-11-23',
    '+275760-09-13T00:00:00Z',
    '1970-01-01T00:00:00.123456789Z',
    '2099-01-01T00:00:00Z',
  )
  .map(j);

// ---------------------------------------------------------------- events

const eventPairs = (deviceIds: fc.Arbitrary<string>): fc.Arbitrary<Pairs> =>
  fc
    .record(
      {
        eventId: fc.uuid({ version: [4, 7] }),
        deviceId: deviceIds,
        ts: validTimeText,
        metrics: fc.array(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/), finiteNumberText), { maxLength: 6 }),
        payload: fc.oneof(
          fc
            .jsonValue({ maxDepth: 3 })
            .filter((v) => v !== null && typeof v === 'object' && !Array.isArray(v))
            .map(j),
          objectWithOddKeys(2),
        ),
      },
      { requiredKeys: ['deviceId', 'ts', 'metrics'] },
    )
    .map((e) => {
      const pairs: Pairs = [];
      if (e.eventId !== undefined) pairs.push(['eventId', j(e.eventId)]);
      pairs.push(['deviceId', j(e.deviceId)], ['ts', e.ts], ['metrics', objectText(e.metrics)]);
      if (e.payload !== undefined) pairs.push(['payload', e.payload]);
      return pairs;
    });

const wrongValue = fc.oneof(
  fc.constantFrom('null', 'true', '[]', '{}', '[1,2]', '"12"', '12', '{"nested":{"deep":[{}]}}'),
  oddStrings.map(j),
  hugeStringText,
  edgeNumbers,
  oddTimeText,
  objectWithOddKeys(1),
);

/** One change to an object's pairs (`protectedKey` is never touched: the rule selector). */
const mutatePairs = (pairs: fc.Arbitrary<Pairs>, protectedKey?: string): fc.Arbitrary<Pairs> =>
  fc
    .tuple(pairs, fc.nat(), fc.constantFrom('retype', 'drop', 'duplicate', 'add', 'special-key', 'nested-special'), wrongValue, anyKey, objectWithOddKeys(2))
    .map(([ps, at, how, value, key, nested]) => {
      const out = [...ps];
      const candidates = out.map((_, i) => i).filter((i) => out[i]![0] !== protectedKey);
      const i = candidates.length ? candidates[at % candidates.length]! : -1;
      if (how === 'retype' && i >= 0) out[i] = [out[i]![0], value];
      else if (how === 'drop' && i >= 0) out.splice(i, 1);
      else if (how === 'duplicate' && i >= 0) out.push([out[i]![0], value]);
      else if (how === 'add') out.push([key, value]);
      else if (how === 'special-key') out.push([at % 2 ? '__proto__' : 'constructor', nested]);
      else if (how === 'nested-special' && i >= 0)
        out[i] = [
          out[i]![0],
          objectText([
            ['__proto__', nested],
            ['constructor', '{"prototype":{"polluted":true}}'],
          ]),
        ];
      return out;
    });

// ---------------------------------------------------------------- bodies per route

interface Body {
  label: string;
  text?: string;
  bytes?: Buffer;
}

const textMutation = (texts: fc.Arbitrary<string>): fc.Arbitrary<Body> =>
  fc.tuple(texts, fc.nat(), fc.constantFrom('truncate', 'flip-byte', 'bom', 'padding', 'trailing', 'utf16', 'invalid-utf8')).map(([text, at, how]) => {
    const buf = Buffer.from(text);
    const pos = buf.length ? at % buf.length : 0;
    switch (how) {
      case 'truncate':
        return { label: 'text-truncated', bytes: buf.subarray(0, pos) };
      case 'flip-byte': {
        const copy = Buffer.from(buf);
        if (copy.length) copy[pos] = copy[pos]! ^ (1 << (at % 8));
        return { label: 'text-byte-flipped', bytes: copy };
      }
      case 'bom':
        return { label: 'text-bom', bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf]) };
      case 'padding':
        return { label: 'text-whitespace', text: ` \n\t${text}\r\n ` };
      case 'trailing':
        return { label: 'text-trailing-garbage', text: `${text}}` };
      case 'utf16':
        return { label: 'text-utf16', bytes: Buffer.from(text, 'utf16le') };
      default:
        return { label: 'text-invalid-utf8', bytes: Buffer.concat([buf.subarray(0, pos), Buffer.from([0xc3, 0x28, 0xff]), buf.subarray(pos)]) };
    }
  });

function eventBodies(target: FuzzTarget): fc.Arbitrary<Body> {
  const deviceIds = fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: 7 }).map((i) => `${target.devicePrefix}-${i}`) },
    { weight: 1, arbitrary: oddStrings },
  );
  const valid = eventPairs(deviceIds);
  const mutated = mutatePairs(valid);
  const batch = (events: fc.Arbitrary<Pairs>, max: number) =>
    fc.array(events, { minLength: 1, maxLength: max }).map((es) => `{"events":[${es.map(objectText).join(',')}]}`);
  return fc.oneof(
    { weight: 10, arbitrary: valid.map((p) => ({ label: 'event-valid', text: objectText(p) })) },
    { weight: 4, arbitrary: batch(valid, 20).map((text) => ({ label: 'batch-valid', text })) },
    { weight: 10, arbitrary: mutated.map((p) => ({ label: 'event-mutated', text: objectText(p) })) },
    { weight: 4, arbitrary: batch(fc.oneof(valid, mutated), 10).map((text) => ({ label: 'batch-mutated', text })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(999, 1000, 1001, 5000).map((n) => ({
        label: `batch-${n}`,
        text: `{"events":[${Array(n).fill(`{"deviceId":"${target.devicePrefix}-0","ts":"2026-01-01T00:00:00Z","metrics":{}}`).join(',')}]}`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(batch(valid, 3), wrongValue).map(([text, v]) => ({ label: 'batch-envelope', text: text.replace(/}$/, `,"extra":${v}}`) })),
    },
    { weight: 3, arbitrary: textMutation(valid.map(objectText)) },
  );
}

function ruleBodies(target: FuzzTarget): fc.Arbitrary<Body> {
  const valid: fc.Arbitrary<Pairs> = fc
    .record({
      name: fc.string({ minLength: 1, maxLength: 30 }),
      metric: fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/),
      threshold: fc.integer({ min: 10, max: 100 }),
      enabled: fc.boolean(),
    })
    .map((r) => [
      ['name', j(`fuzz-${r.name}-${crypto.randomUUID().slice(0, 8)}`)],
      ['metric', j(r.metric)],
      ['direction', j('above')],
      ['levels', j([{ severity: 'warning', threshold: r.threshold }])],
      ['clearThreshold', j(r.threshold - 5)],
      ['deviceSelector', j(target.ruleSelector)],
      ['enabled', j(r.enabled)],
    ]);
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((p) => ({ label: 'rule-valid', text: objectText(p) })) },
    { weight: 6, arbitrary: mutatePairs(valid, 'deviceSelector').map((p) => ({ label: 'rule-mutated', text: objectText(p) })) },
  );
}

function predictionBodies(target: FuzzTarget): fc.Arbitrary<Body> {
  const valid: fc.Arbitrary<Pairs> = fc
    .record(
      {
        deviceId: fc.integer({ min: 0, max: 7 }).map((i) => `${target.devicePrefix}-${i}`),
        metric: fc.constantFrom('rain_mm_h', 'tilt_deg'),
        model: fc.constantFrom('guzzetti-2008', 'caine-1980'),
        asOf: fc.oneof(validTimeText, oddTimeText),
      },
      { requiredKeys: ['deviceId'] },
    )
    .map((p) => Object.entries(p).map(([k, v]) => [k, k === 'asOf' ? String(v) : j(v)] as [string, string]));
  return fc.oneof(
    { weight: 2, arbitrary: valid.map((p) => ({ label: 'prediction-valid', text: objectText(p) })) },
    { weight: 3, arbitrary: mutatePairs(valid).map((p) => ({ label: 'prediction-mutated', text: objectText(p) })) },
  );
}

const randomBodies: fc.Arbitrary<Body> = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).map((v) => ({ label: 'json-random', text: j(v) })),
  fc.string({ unit: 'binary', maxLength: 300 }).map((text) => ({ label: 'text-random', text })),
  fc.uint8Array({ maxLength: 600 }).map((a) => ({ label: 'bytes-random', bytes: Buffer.from(a) })),
  fc.integer({ min: 1, max: 3 }).map((k) => ({ label: 'json-deep', text: `${'['.repeat(k * 20_000)}${']'.repeat(k * 20_000)}` })),
  objectWithOddKeys(3).map((text) => ({ label: 'json-odd-keys', text })),
);

// ---------------------------------------------------------------- credentials, headers, paths, queries

function mangledTokens(target: FuzzTarget): string[] {
  const out: string[] = ['', 'a', 'a.b', 'a.b.c', '...', 'x'.repeat(10_000), 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'];
  for (const c of target.credentials.filter((x) => x.kind === 'bearer')) {
    const [h, p, s] = c.value.split('.');
    out.push(
      `${h}.${p}`,
      `${h}.${p}.`,
      `${p}.${h}.${s}`,
      `${h}.${p}.${s!.slice(0, -3)}`,
      `${h}.${Buffer.from(JSON.stringify({ sub: c.subject, role: 'admin', exp: 9_999_999_999 })).toString('base64url')}.${s}`,
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`,
      c.value.toUpperCase(),
    );
  }
  for (const c of target.credentials.filter((x) => x.kind === 'apiKey')) out.push(`${c.value.slice(0, -1)}A`, c.value.slice(0, 20), `${c.value}${c.value}`);
  return out;
}

function credentialHeaders(target: FuzzTarget): fc.Arbitrary<[string, string][]> {
  const valid = fc
    .constantFrom(...target.credentials)
    .map((c): [string, string][] => [c.kind === 'bearer' ? ['authorization', `Bearer ${c.value}`] : ['x-api-key', c.value]]);
  const mangled = fc
    .tuple(fc.constantFrom(...mangledTokens(target)), fc.boolean())
    .map(([t, asKey]): [string, string][] => [asKey ? ['x-api-key', t] : ['authorization', `Bearer ${t}`]]);
  return fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 4, arbitrary: mangled },
    { weight: 1, arbitrary: fc.constant<[string, string][]>([]) },
    {
      weight: 1,
      arbitrary: fc.constantFrom<[string, string][]>([['authorization', 'Bearer']], [['authorization', 'Basic YTpi']], [['authorization', 'bearer  x']]),
    },
    { weight: 1, arbitrary: fc.tuple(valid, mangled).map(([a, b]) => [...a, ...b]) },
  );
}

const contentTypes = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset="UTF-8"',
      'application/merge-patch+json',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/xml',
      '',
      'application/json, text/plain',
      'APPLICATION/JSON',
    ),
  },
);

const extraHeaders: fc.Arbitrary<[string, string][]> = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constant('x-request-id'), fc.oneof(fc.uuid(), fc.string({ maxLength: 200 }))),
      fc.tuple(fc.constant('traceparent'), fc.oneof(fc.constant('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), fc.string({ maxLength: 60 }))),
      fc.tuple(fc.constant('tracestate'), fc.string({ maxLength: 100 })),
      fc.tuple(fc.constantFrom('x-http-method-override', 'x-http-method', 'x-method-override'), fc.constantFrom('DELETE', 'PUT', 'PATCH', 'GET')),
      fc.tuple(fc.constant('x-forwarded-for'), fc.ipV4()),
      fc.tuple(fc.constant('accept'), fc.constantFrom('*/*', 'application/xml', 'text/html', '')),
      fc.tuple(fc.constant('origin'), fc.constantFrom('https://evil.example', 'null')),
      fc.tuple(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), fc.string({ maxLength: 50 })),
    ),
    { maxLength: 4 },
  )
  .map((hs) => hs.map(([k, v]) => [k, v.replace(/[^\x20-\x7e]/g, '')] as [string, string]));

const deviceIdParam = (target: FuzzTarget) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 7 }).map((i) => `${target.devicePrefix}-${i}`) },
    { weight: 2, arbitrary: oddStrings.map(uri) },
    { weight: 1, arbitrary: fc.constantFrom('%2e%2e', '..', '%00', 'a%2fb', 'x'.repeat(300), '%', '%ZZ') },
  );
const uuidParam = fc.oneof(
  { weight: 6, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-000000000000', 'FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF', "1' OR '1'='1") },
);

const cursorValue = fc.oneof(
  fc.string({ maxLength: 40 }).map((s) => Buffer.from(s).toString('base64url')),
  fc.tuple(oddTimeText, fc.uuid()).map(([t, id]) => Buffer.from(`{"t":${t},"id":"${id}"}`).toString('base64url')),
  fc.tuple(validTimeText, fc.uuid()).map(([t, id]) => Buffer.from(`{"t":${t},"id":"${id}"}`).toString('base64url')),
  fc.constant('c'.repeat(600)),
);
const queryString: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constant('limit'), fc.oneof(fc.integer({ min: -5, max: 2000 }).map(String), fc.constantFrom('1e3', 'NaN', '', 'all', '10.5', '0x10'))),
      fc.tuple(
        fc.constantFrom('from', 'to', 'since'),
        fc.oneof(validTimeText, oddTimeText).map((t) => JSON.parse(t) as string),
      ),
      fc.tuple(fc.constant('cursor'), cursorValue),
      fc.tuple(fc.constant('status'), fc.constantFrom('open', 'resolved', 'closed', '')),
      fc.tuple(fc.constant('severity'), fc.constantFrom('info', 'warning', 'critical', 'huge')),
      fc.tuple(fc.constant('deviceId'), fc.oneof(fc.constant('d-1'), oddStrings)),
      fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 })),
    ),
    { maxLength: 4 },
  )
  .map((params) => (params.length ? `?${params.map(([k, v]) => `${uri(k)}=${uri(v)}`).join('&')}` : ''));

// ---------------------------------------------------------------- requests

const methods = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS') },
  { weight: 1, arbitrary: fc.constantFrom('TRACE', 'PROPFIND', 'FOO', 'get') },
);

function requests(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  // Built once: building arbitraries inside chain() for every sample costs more than sending the request.
  const bodies = {
    events: fc.oneof({ weight: 5, arbitrary: eventBodies(target) }, { weight: 1, arbitrary: randomBodies }),
    rules: fc.oneof({ weight: 3, arbitrary: ruleBodies(target) }, { weight: 1, arbitrary: randomBodies }),
    predictions: fc.oneof({ weight: 3, arbitrary: predictionBodies(target) }, { weight: 1, arbitrary: randomBodies }),
  };
  const withBody = (route: { method: string; path: string }): fc.Arbitrary<Body> => {
    if (route.path === '/v1/events') return bodies.events;
    if (route.path === '/v1/alert-rules/{id}') return bodies.rules;
    if (route.path === '/v1/predictions') return bodies.predictions;
    return randomBodies;
  };
  const credentials = credentialHeaders(target);
  const devices = deviceIdParam(target);
  const route = fc.oneof(
    // Ingest is the route devices hammer: a third of the requests, so that plenty of them are accepted.
    { weight: 5, arbitrary: fc.constant({ method: 'POST', path: '/v1/events' }) },
    { weight: 10, arbitrary: fc.constantFrom(...target.routes) },
    { weight: 1, arbitrary: fc.constantFrom({ method: 'GET', path: '/v1/unknown' }, { method: 'POST', path: '/v1/api-keys' }, { method: 'GET', path: '/' }) },
  );
  const noBody: Body = { label: '', text: '' };
  return fc
    .tuple(route, fc.oneof({ weight: 8, arbitrary: fc.constant('') }, { weight: 1, arbitrary: methods }))
    .map(([r, other]) => ({ r, method: other || r.method.toUpperCase() }))
    .chain(({ r, method }) =>
      fc
        .record({
          method: fc.constant(method),
          deviceId: devices,
          uuid: uuidParam,
          query: queryString,
          credentials,
          contentType: contentTypes,
          extra: extraHeaders,
          body: method === 'GET' || method === 'HEAD' ? fc.constant(noBody) : withBody(r),
          encoding: fc.oneof(
            { weight: 14, arbitrary: fc.constant('none') },
            { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'gzip-corrupt', 'x-unknown', 'gzip-unlabelled') },
          ),
          transport: fc.oneof(
            { weight: 12, arbitrary: fc.constant('fetch') },
            {
              weight: 1,
              arbitrary: fc.constantFrom('raw', 'raw-length-short', 'raw-length-long', 'raw-chunked', 'raw-chunked-bad', 'raw-control-byte', 'raw-http10'),
            },
          ),
        })
        .map((x): FuzzRequest => {
          const path = r.path.replace('{id}', r.path.startsWith('/v1/devices') ? x.deviceId : x.uuid) + x.query;
          let body = x.body.bytes ?? Buffer.from(x.body.text ?? '');
          const headers: [string, string][] = [...x.credentials, ...x.extra];
          const sendsBody = x.method !== 'GET' && x.method !== 'HEAD';
          if (sendsBody && x.contentType) headers.push(['content-type', x.contentType]);
          if (sendsBody && x.encoding !== 'none') {
            if (x.encoding === 'gzip' || x.encoding === 'gzip-unlabelled') body = zlib.gzipSync(body);
            else if (x.encoding === 'deflate') body = zlib.deflateSync(body);
            else if (x.encoding === 'br') body = zlib.brotliCompressSync(body);
            else if (x.encoding === 'gzip-corrupt') body = Buffer.concat([zlib.gzipSync(body).subarray(0, 12), Buffer.from('corrupt')]);
            if (x.encoding !== 'gzip-unlabelled') headers.push(['content-encoding', x.encoding.replace('-corrupt', '')]);
          }
          const request: FuzzRequest = { label: `${x.method} ${r.path} ${sendsBody ? x.body.label : ''}`.trim(), method: x.method, path, headers, raw: false };
          if (sendsBody) request.body = body;
          if (x.transport === 'fetch' && !/^(GET|HEAD|POST|PUT|DELETE|PATCH|OPTIONS)$/.test(x.method)) request.raw = true; // fetch refuses TRACE and others
          if (x.transport !== 'fetch') {
            request.raw = true;
            request.label += ` ${x.transport}`;
            if (x.transport === 'raw-length-short') request.contentLength = Math.max(0, body.length - 1 - (body.length >> 1));
            if (x.transport === 'raw-length-long') {
              request.contentLength = body.length + 10;
              request.halfClose = true;
            }
            if (x.transport === 'raw-chunked' || x.transport === 'raw-chunked-bad') {
              headers.push(['transfer-encoding', 'chunked']);
              request.contentLength = null;
              const size = x.transport === 'raw-chunked' ? body.length.toString(16) : 'zz';
              request.body = Buffer.concat([Buffer.from(`${size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
            }
            if (x.transport === 'raw-control-byte') headers.push(['x-odd', 'a\x01b']);
          }
          return request;
        }),
    );
}

// ---------------------------------------------------------------- expectations and checks

const utf8 = new TextDecoder('utf-8', { fatal: true });

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.keys(value).sort();
  return `{${entries.map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** The events a 202 accepted, as the API must have written them: the request decoded the way the API decodes it. */
function acceptedEvents(request: FuzzRequest, responseText: string): AcceptedEvent[] {
  let bytes = request.body ?? Buffer.alloc(0);
  if (request.headers.some(([k, v]) => k === 'transfer-encoding' && v === 'chunked')) {
    const text = bytes.toString('latin1');
    const start = text.indexOf('\r\n') + 2;
    bytes = bytes.subarray(start, parseInt(text, 16) + start);
  }
  if (typeof request.contentLength === 'number') bytes = bytes.subarray(0, request.contentLength);
  const encoding = request.headers.find(([k]) => k === 'content-encoding')?.[1];
  if (encoding === 'gzip') bytes = zlib.gunzipSync(bytes);
  if (encoding === 'deflate') bytes = zlib.inflateSync(bytes);
  if (encoding === 'br') bytes = zlib.brotliDecompressSync(bytes);
  const body = JSON.parse(utf8.decode(bytes)) as Record<string, unknown>;
  const inputs = (Array.isArray(body.events) ? body.events : [body]) as Record<string, unknown>[];
  const ids = (parseJson(responseText)?.eventIds ?? []) as string[];
  return inputs.map((e, i) => {
    const event: Record<string, unknown> = { eventId: ids[i], deviceId: e.deviceId, ts: new Date(String(e.ts)).toISOString(), metrics: e.metrics };
    if (Object.prototype.hasOwnProperty.call(e, 'payload')) event.payload = e.payload;
    return { eventId: String(ids[i]), deviceId: String(e.deviceId), canonical: canonical(event) };
  });
}

async function send(target: FuzzTarget, req: FuzzRequest): Promise<{ status?: number; headers: Record<string, string>; text: string; noAnswer?: string }> {
  if (req.raw) {
    const res = await rawRequest(
      target.port,
      {
        method: req.method,
        path: req.path,
        headers: req.headers,
        ...(req.body ? { body: req.body } : {}),
        ...(req.contentLength !== undefined ? { contentLength: req.contentLength } : {}),
      },
      { waitMs: 45_000, ...(req.halfClose ? { halfClose: true } : {}) },
    );
    return res.status === undefined
      ? { headers: {}, text: res.body, noAnswer: res.closedByServer ? 'closed' : 'timeout' }
      : { status: res.status, headers: res.headers, text: res.body };
  }
  try {
    const res = await fetch(`${target.url}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(req.body ? { body: req.body } : {}),
      signal: AbortSignal.timeout(45_000),
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
  } catch (err) {
    return { headers: {}, text: '', noAnswer: `fetch failed: ${(err as Error).message}` };
  }
}

export class Fuzzer {
  private readonly report: FuzzReport;
  private readonly arbitrary: fc.Arbitrary<FuzzRequest>;
  private queue: FuzzRequest[] = [];
  private batch = 0;

  constructor(
    private readonly target: FuzzTarget,
    seed = Date.now() % 2 ** 31,
  ) {
    this.report = { seed, requests: 0, byStatus: {}, byLabel: {}, unavailable: 0, undeterminedIngest: 0, violations: [], accepted: [], createdRules: [] };
    this.arbitrary = requests(target);
  }

  private next(): FuzzRequest {
    if (this.queue.length === 0) this.queue = fc.sample(this.arbitrary, { numRuns: 100, seed: this.report.seed + this.batch++ });
    return this.queue.shift()!;
  }

  /** Sends requests from `concurrency` clients for `ms` milliseconds; the report accumulates over runs. */
  async run(ms: number, concurrency = 4): Promise<FuzzReport> {
    const until = Date.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) await this.one(this.next());
      }),
    );
    return this.report;
  }

  get result(): FuzzReport {
    return this.report;
  }

  private violation(req: FuzzRequest, problem: string, res: { status?: number; text: string }) {
    if (this.report.violations.length >= 50) return;
    const v: Violation = {
      label: req.label,
      request: `${req.method} ${req.path.slice(0, 200)} [${req.headers.map(([k]) => k).join(', ')}] body ${req.body?.length ?? 0} bytes: ${(req.body ?? Buffer.alloc(0)).subarray(0, 300).toString('latin1')}`,
      problem,
      response: res.text.slice(0, 500),
    };
    if (res.status !== undefined) v.status = res.status;
    this.report.violations.push(v);
  }

  private async one(req: FuzzRequest): Promise<void> {
    const res = await send(this.target, req);
    const r = this.report;
    r.requests++;
    const key = res.status === undefined ? (res.noAnswer ?? 'none') : String(res.status);
    r.byStatus[key] = (r.byStatus[key] ?? 0) + 1;
    const family = req.label.split(' ').slice(0, 3).join(' ');
    r.byLabel[family] = (r.byLabel[family] ?? 0) + 1;
    const ingest = req.method === 'POST' && req.path.split('?')[0] === '/v1/events';

    if (res.status === undefined) {
      // A request that ended before its body was complete (a lying Content-Length and a half-close) may get no answer.
      if (!req.halfClose) this.violation(req, `no answer (${res.noAnswer})`, res);
      if (ingest && res.noAnswer !== 'closed') r.undeterminedIngest++;
      return;
    }
    if (stackTracePattern.test(res.text)) this.violation(req, 'a stack trace or source path in the response', res);
    const problem = parseJson(res.text);
    if (res.status >= 500) {
      const backpressure =
        res.status === 503 && res.headers['retry-after'] && /^application\/problem\+json/.test(res.headers['content-type'] ?? '') && problem?.status === 503;
      if (!backpressure) return this.violation(req, `answered ${res.status}`, res);
      r.unavailable++;
      if (ingest && problem?.written !== 'no') r.undeterminedIngest++;
      return;
    }
    if (res.status >= 400) {
      if (!/^application\/problem\+json/.test(res.headers['content-type'] ?? ''))
        return this.violation(req, `a ${res.status} that is not application/problem+json`, res);
      if (req.method === 'HEAD') return; // no body by definition
      if (!problem || typeof problem.type !== 'string' || !problem.type.startsWith('https://floodgate.dev/problems/') || problem.status !== res.status)
        return this.violation(req, `a ${res.status} whose body is not a problem with a floodgate type and the same status`, res);
      return;
    }
    if (ingest && res.status === 202) {
      try {
        r.accepted.push(...acceptedEvents(req, res.text));
      } catch (err) {
        this.violation(req, `accepted a body the fuzzer cannot read as JSON events: ${(err as Error).message}`, res);
      }
    }
    if (req.method === 'PUT' && req.path.startsWith('/v1/alert-rules/') && (res.status === 200 || res.status === 201)) {
      const id = parseJson(res.text)?.id;
      if (typeof id === 'string') r.createdRules.push(id);
    }
  }
}

/** The routes of /openapi.json, for the fuzzer to cover every documented one. */
export async function documentedRoutes(url: string): Promise<{ method: string; path: string }[]> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => ({ method: method.toUpperCase(), path })));
}

/** Compares what the fuzzer saw accepted with what Kafka holds (messages of the API's events topic). */
export function compareWithKafka(
  accepted: AcceptedEvent[],
  messages: { key: string | null; value: string | null }[],
): { missing: AcceptedEvent[]; changed: { expected: string; stored: string }[]; unexpected: number } {
  // An id may repeat (a client may send the same eventId twice): keep every stored version.
  const stored = new Map<string, { key: string | null; canonical: string }[]>();
  for (const m of messages) {
    const value = m.value ? (JSON.parse(m.value) as { eventId: string }) : undefined;
    if (value) stored.set(value.eventId, [...(stored.get(value.eventId) ?? []), { key: m.key, canonical: canonical(value) }]);
  }
  const missing: AcceptedEvent[] = [];
  const changed: { expected: string; stored: string }[] = [];
  const acceptedIds = new Set<string>();
  for (const a of accepted) {
    acceptedIds.add(a.eventId);
    const versions = stored.get(a.eventId);
    if (!versions) missing.push(a);
    else if (!versions.some((s) => s.canonical === a.canonical && s.key === a.deviceId)) {
      // Show where they differ, not only how they start.
      const s = versions[0]!;
      let at = 0;
      while (at < a.canonical.length && a.canonical[at] === s.canonical[at]) at++;
      const around = (text: string) => text.slice(Math.max(0, at - 120), at + 120);
      changed.push({ expected: `…${around(a.canonical)}…`, stored: `key ${s.key} (${versions.length} version(s)): …${around(s.canonical)}…` });
    }
  }
  return { missing, changed, unexpected: [...stored.keys()].filter((id) => !acceptedIds.has(id)).length };
}
