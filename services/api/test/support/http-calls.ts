/** One way for the security tests to call the API and to check the RFC 9457 problem bodies it answers with. */

export const problemType = (kind: string) => `https://floodgate.dev/problems/${kind}`;

export interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: Record<string, unknown> | undefined;
}

export interface CallOptions {
  token?: string;
  apiKey?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(baseUrl: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.apiKey) headers['x-api-key'] = opts.apiKey;
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, headers: Object.fromEntries(res.headers), text, body: parseJson(text) };
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A stack frame or a source path in a response body means internals leaked. */
export const stackTracePattern = /\bat \S+ \(|\bat (?:async )?[/\w.-]+\.(?:ts|js|cjs|mjs):\d+|node_modules|\/work\/|[/\\]src[/\\]\S+\.ts\b/;

/** Asserts an RFC 9457 problem: the status, `application/problem+json`, a stable type, the same status inside, no stack. */
export function expectProblem(reply: Pick<Reply, 'status' | 'headers' | 'text'>, status: number, kind?: string): Record<string, unknown> {
  const body = parseJson(reply.text);
  expect({ status: reply.status, contentType: reply.headers['content-type'] }).toEqual({
    status,
    contentType: expect.stringMatching(/^application\/problem\+json/),
  });
  expect(body).toEqual(expect.objectContaining({ type: kind ? problemType(kind) : expect.stringMatching(/^https:\/\/floodgate\.dev\/problems\//), status }));
  expect(reply.text).not.toMatch(stackTracePattern);
  return body!;
}
