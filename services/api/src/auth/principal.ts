/** Who is calling: the subject and role a verified JWT or API key stands for. */
export const roles = ['device', 'gateway', 'viewer', 'operator', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface Principal {
  subject: string;
  role: Role;
  /** How the principal proved itself; an API key also names its id (for audit and rate limiting). */
  via: 'jwt' | 'api-key';
  keyId?: string;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (roles as readonly string[]).includes(value);
}

/** Thrown when credentials are missing or do not prove anything; `reason` is safe to show the client. */
export class AuthenticationError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AuthenticationError';
  }
}
