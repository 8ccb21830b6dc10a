/**
 * Sends batches of events to the API the way a well-behaved gateway does: every event
 * carries its own id, and a batch answered 503, 429 or not at all (a timeout) is sent
 * again with the same ids, so the platform's dedupe makes the retry safe. Keeps a
 * ledger with the three outcomes DESIGN.md asks a no-loss checker to tell apart.
 */
export interface LedgerEvent {
  eventId: string;
  deviceId: string;
  ts: string;
  metrics: Record<string, number>;
}

export interface Ledger {
  /** Answered 202: must be stored exactly once. */
  accepted: Set<string>;
  /** Answered with a definite 4xx error: must not be stored. */
  rejected: Set<string>;
  /** Never answered 202 nor a definite error before giving up: may or may not be stored. */
  undetermined: Set<string>;
  requests: number;
  retries: number;
  statusCounts: Record<string, number>;
}

export const newLedger = (): Ledger => ({ accepted: new Set(), rejected: new Set(), undetermined: new Set(), requests: 0, retries: 0, statusCounts: {} });

export interface IngestClientOptions {
  baseUrl: string;
  token: string;
  ledger: Ledger;
  /** Attempts per batch before its events count as undetermined. */
  maxAttempts?: number;
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sendBatch(events: LedgerEvent[], opts: IngestClientOptions): Promise<'accepted' | 'rejected' | 'undetermined'> {
  const { ledger } = opts;
  const maxAttempts = opts.maxAttempts ?? 6;
  const body = JSON.stringify({ events });
  let sawTimeout = false;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (attempt > 1) ledger.retries++;
    ledger.requests++;
    let status: number | undefined;
    let retryAfter = 0;
    try {
      const res = await fetch(`${opts.baseUrl}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` },
        body,
        signal: AbortSignal.timeout(opts.timeoutMs ?? 10000),
      });
      status = res.status;
      retryAfter = Number(res.headers.get('retry-after') ?? 0);
      await res.arrayBuffer();
    } catch {
      sawTimeout = true; // no answer: the batch may or may not have reached Kafka
    }
    const key = status === undefined ? 'no-answer' : String(status);
    ledger.statusCounts[key] = (ledger.statusCounts[key] ?? 0) + 1;
    if (status === 202) {
      for (const e of events) ledger.accepted.add(e.eventId);
      return 'accepted';
    }
    if (status !== undefined && status >= 400 && status < 500 && status !== 429 && status !== 408) {
      // A definite refusal. (After an earlier timeout the events may be stored all the same.)
      for (const e of events) (sawTimeout ? ledger.undetermined : ledger.rejected).add(e.eventId);
      return sawTimeout ? 'undetermined' : 'rejected';
    }
    await sleep(Math.min(5000, (retryAfter > 0 ? retryAfter * 1000 : 200 * 2 ** attempt) * (0.5 + Math.random() / 2)));
  }
  for (const e of events) ledger.undetermined.add(e.eventId);
  return 'undetermined';
}
