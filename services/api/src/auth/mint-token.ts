/** Mints HS256 tokens for local use (the CLI, tests, benchmarks); production tokens come from the identity provider. */
import { SignJWT } from 'jose';
import type { Role } from './principal';

export interface MintOptions {
  secret: string;
  issuer: string;
  audience: string;
  subject: string;
  role: Role;
  ttlSeconds?: number;
}

export async function mintToken(opts: MintOptions): Promise<string> {
  return new SignJWT({ role: opts.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(opts.subject)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt()
    .setExpirationTime(`${opts.ttlSeconds ?? 3600}s`)
    .sign(new TextEncoder().encode(opts.secret));
}
