/**
 * Verifies bearer JWTs with jose: HS256 with a local secret, or asymmetric keys from a
 * JWKS URL (cached and refetched on an unknown `kid`, so rotation needs no restart).
 * Algorithms are pinned per key source, so `none` and HS/RS confusion are impossible.
 * Verification costs far more than an HTTP request, so verified tokens are cached
 * until they expire, in a bounded map.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { AuthenticationError, isRole, type Principal } from './principal';

export interface JwtVerifierOptions {
  secret?: string | undefined;
  jwksUrl?: string | undefined;
  issuer: string;
  audience: string;
  /** Pinned algorithms; HS256 is only ever checked against the secret, the others only against the JWKS. */
  algorithms?: string[] | undefined;
  clockToleranceSeconds: number;
  cacheMaxEntries: number;
  jwksCooldownMs?: number;
  now?: () => number;
}

const maxCachedTokenLength = 2048;

interface CachedToken {
  principal: Principal;
  expiresAtMs: number;
}

export class JwtVerifier {
  private readonly secret?: Uint8Array;
  private readonly jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly symmetric: string[];
  private readonly asymmetric: string[];
  private readonly cache = new Map<string, CachedToken>();
  private readonly now: () => number;

  constructor(private readonly opts: JwtVerifierOptions) {
    this.now = opts.now ?? Date.now;
    const algorithms = opts.algorithms ?? [...(opts.secret ? ['HS256'] : []), ...(opts.jwksUrl ? ['RS256', 'ES256', 'EdDSA'] : [])];
    this.symmetric = opts.secret ? algorithms.filter((a) => a === 'HS256') : [];
    this.asymmetric = opts.jwksUrl ? algorithms.filter((a) => a !== 'HS256') : [];
    if (opts.secret) this.secret = new TextEncoder().encode(opts.secret);
    if (opts.jwksUrl)
      this.jwks = createRemoteJWKSet(new URL(opts.jwksUrl), {
        cooldownDuration: opts.jwksCooldownMs ?? 30_000,
        cacheMaxAge: 10 * 60_000,
        timeoutDuration: 5000,
      });
  }

  async verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.expiresAtMs > this.now()) return cached.principal;
      this.cache.delete(token);
    }
    const payload = await this.verifySignatureAndClaims(token);
    const principal = principalOf(payload);
    this.remember(token, { principal, expiresAtMs: (payload.exp as number) * 1000 });
    return principal;
  }

  private async verifySignatureAndClaims(token: string): Promise<JWTPayload> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthenticationError('the bearer token is not a JWT');
    }
    const common = {
      issuer: this.opts.issuer,
      audience: this.opts.audience,
      clockTolerance: this.opts.clockToleranceSeconds,
      requiredClaims: ['exp', 'sub'],
      currentDate: new Date(this.now()),
    };
    try {
      if (alg && this.secret && this.symmetric.includes(alg)) return (await jwtVerify(token, this.secret, { ...common, algorithms: this.symmetric })).payload;
      if (alg && this.jwks && this.asymmetric.includes(alg)) return (await jwtVerify(token, this.jwks, { ...common, algorithms: this.asymmetric })).payload;
    } catch (err) {
      throw new AuthenticationError(describeJoseError(err));
    }
    throw new AuthenticationError(`the token's algorithm ${JSON.stringify(alg ?? null)} is not accepted`);
  }

  private remember(token: string, entry: CachedToken): void {
    // Keys are the tokens themselves; an unusually long one is verified each time rather than held in memory.
    if (this.opts.cacheMaxEntries === 0 || token.length > maxCachedTokenLength) return;
    if (this.cache.size >= this.opts.cacheMaxEntries) {
      // Maps iterate in insertion order: drop the oldest entry, which is the one closest to being useless.
      const oldest = this.cache.keys().next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(token, entry);
  }
}

function principalOf(payload: JWTPayload): Principal {
  const role = payload.role;
  if (!isRole(role)) throw new AuthenticationError('the token has no valid role claim (device, gateway, viewer, operator or admin)');
  if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 128)
    throw new AuthenticationError('the token has no valid sub claim');
  return { subject: payload.sub, role, via: 'jwt' };
}

function describeJoseError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'the token is not valid yet';
    return `the token's ${err.claim} claim is not accepted: ${err.reason}`;
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is not valid';
  if (err instanceof errors.JOSEAlgNotAllowed) return "the token's algorithm is not accepted";
  if (err instanceof errors.JWKSNoMatchingKey) return 'no key matches the token';
  if (err instanceof errors.JOSEError) return `the token is not valid (${err.code})`;
  return 'the token is not valid';
}
