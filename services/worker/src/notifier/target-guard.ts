/**
 * SSRF guard for webhook targets: only http(s), and no loopback, private, link-local, CGNAT, multicast or cloud
 * metadata addresses unless allowed. The check runs on the addresses DNS returns at connect time (a custom lookup),
 * so a name that re-resolves to an internal address later is refused too.
 */
import dns from 'node:dns';
import net from 'node:net';

export class TargetRefusedError extends Error {
  constructor(
    readonly target: string,
    reason: string,
  ) {
    super(`webhook target ${target} refused: ${reason}`);
    this.name = 'TargetRefusedError';
  }
}

const blocked4: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, incl. 169.254.169.254 metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const toInt = (ip: string) => ip.split('.').reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;

/** True when `address` (an IP literal) must not be called. */
export function isForbiddenAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const a = toInt(address);
    return blocked4.some(([base, bits]) => (a & (~0 << (32 - bits))) >>> 0 === (toInt(base) & (~0 << (32 - bits))) >>> 0);
  }
  if (net.isIPv6(address)) {
    const lower = address.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isForbiddenAddress(mapped[1]!);
    if (lower === '::' || lower === '::1') return true;
    // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast, fd00:ec2::254 (AWS metadata) is inside fc00::/7.
    return /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || /^ff/.test(lower);
  }
  return true;
}

/** Validates the URL's form; the address check happens in `guardedLookup` when connecting. */
export function checkTargetUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefusedError(raw, 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TargetRefusedError(raw, 'only http and https are allowed');
  if (url.username || url.password) throw new TargetRefusedError(url.origin, 'credentials in the URL are not allowed; sign with the webhook secret');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && net.isIP(host) && isForbiddenAddress(host))
    throw new TargetRefusedError(url.origin, 'private, loopback, link-local or metadata address');
  if (!allowPrivate && /^(localhost|metadata\.google\.internal)$/i.test(host)) throw new TargetRefusedError(url.origin, 'internal host name');
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that refuses forbidden addresses (unless allowed). */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => isForbiddenAddress(a.address));
      if (bad && !allowPrivate) return callback(Object.assign(new TargetRefusedError(hostname, `resolves to a forbidden address`), { code: 'EFORBIDDEN' }), []);
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
      callback(null, first.address, first.family);
    });
  };
}
