/**
 * Threshold alerting as a pure function: a rule, the device's open alert for it (if any) and one reading in, the
 * next alert state and the transition (opened, escalated, resolved) out. No I/O; alert-store.ts applies the result.
 */

export type Severity = 'info' | 'warning' | 'critical';
export const severityRank: Record<Severity, number> = { info: 1, warning: 2, critical: 3 };

export interface AlertRule {
  id: string;
  name: string;
  metric: string;
  direction: 'above' | 'below';
  /** Thresholds per severity; any order (sorted here). */
  levels: { severity: Severity; threshold: number }[];
  /** Hysteresis: an open alert resolves only when the value crosses back past this (below it for 'above'). */
  clearThreshold: number;
  /** Optional glob on the device id (`*` any run, `?` one character); null matches every device. */
  deviceSelector: string | null;
}

export interface AlertState {
  id?: string;
  ruleId: string;
  deviceId: string;
  metric: string;
  status: 'open' | 'resolved';
  severity: Severity;
  openedAt: string;
  resolvedAt?: string;
  lastValue: number;
  peakValue: number;
  lastEventId: string;
  lastEventTs: string;
}

export interface AlertReading {
  deviceId: string;
  eventId: string;
  ts: string;
  metrics: Record<string, number>;
}

export interface Transition {
  kind: 'opened' | 'escalated' | 'resolved';
  severity: Severity;
  value: number;
}

export interface Evaluation {
  /** The alert after this reading: open, resolved (only with a 'resolved' transition), or undefined (none). */
  next: AlertState | undefined;
  transition?: Transition;
  /** True when `next` differs from the input (values or status), so the store has something to write. */
  changed: boolean;
}

const globCache = new Map<string, RegExp>();

/** Glob, not regex: a rule written through the API must not be able to make the worker backtrack forever. */
export function selectorMatches(selector: string | null, deviceId: string): boolean {
  if (selector === null || selector === '' || selector === '*') return true;
  let re = globCache.get(selector);
  if (!re) {
    const body = selector
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*+/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    globCache.set(selector, re);
  }
  return re.test(deviceId);
}

/** The most severe level the value reaches, or undefined. */
export function levelReached(rule: AlertRule, value: number): Severity | undefined {
  let best: Severity | undefined;
  for (const level of rule.levels) {
    const reached = rule.direction === 'above' ? value >= level.threshold : value <= level.threshold;
    if (reached && (!best || severityRank[level.severity] > severityRank[best])) best = level.severity;
  }
  return best;
}

const isCleared = (rule: AlertRule, value: number) => (rule.direction === 'above' ? value <= rule.clearThreshold : value >= rule.clearThreshold);

/** Orders readings as the database and the cache do: by event time, then event id. */
export function compareEventOrder(a: { ts: string; eventId: string }, b: { ts: string; eventId: string }): number {
  const dt = Date.parse(a.ts) - Date.parse(b.ts);
  if (dt !== 0) return dt;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/**
 * Whether `reading` opens an alert for `rule` on a device that has none open: exactly when `evaluate(rule, undefined,
 * reading)` changes something. A device with no open alert and no such reading is left as it is by every reading of a
 * batch, so the store need not order or evaluate them.
 */
export function wouldOpen(rule: AlertRule, reading: AlertReading): boolean {
  const value = reading.metrics[rule.metric];
  return value !== undefined && Number.isFinite(value) && selectorMatches(rule.deviceSelector, reading.deviceId) && levelReached(rule, value) !== undefined;
}

export function evaluate(rule: AlertRule, current: AlertState | undefined, reading: AlertReading): Evaluation {
  const value = reading.metrics[rule.metric];
  const unchanged: Evaluation = { next: current, changed: false };
  if (value === undefined || !Number.isFinite(value) || !selectorMatches(rule.deviceSelector, reading.deviceId)) return unchanged;
  // A reading older than what the open alert has seen arrived late: it must not resolve or escalate a newer state.
  if (current && compareEventOrder(reading, { ts: current.lastEventTs, eventId: current.lastEventId }) <= 0) return unchanged;
  const level = levelReached(rule, value);

  if (!current) {
    if (!level) return unchanged;
    const opened: AlertState = {
      ruleId: rule.id,
      deviceId: reading.deviceId,
      metric: rule.metric,
      status: 'open',
      severity: level,
      openedAt: reading.ts,
      lastValue: value,
      peakValue: value,
      lastEventId: reading.eventId,
      lastEventTs: reading.ts,
    };
    return { next: opened, transition: { kind: 'opened', severity: level, value }, changed: true };
  }

  const peakValue = rule.direction === 'above' ? Math.max(current.peakValue, value) : Math.min(current.peakValue, value);
  const seen = { ...current, lastValue: value, peakValue, lastEventId: reading.eventId, lastEventTs: reading.ts };
  if (isCleared(rule, value)) {
    return {
      next: { ...seen, status: 'resolved', resolvedAt: reading.ts },
      transition: { kind: 'resolved', severity: current.severity, value },
      changed: true,
    };
  }
  if (level && severityRank[level] > severityRank[current.severity]) {
    return { next: { ...seen, severity: level }, transition: { kind: 'escalated', severity: level, value }, changed: true };
  }
  // Between the clear threshold and a higher level: the alert stays as it is (no de-escalation, no flapping).
  return { next: seen, changed: true };
}
