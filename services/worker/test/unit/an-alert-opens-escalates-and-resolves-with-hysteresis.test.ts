import { evaluate, selectorMatches, wouldOpen, type AlertRule, type AlertState } from '../../src/alert-engine';

const rain: AlertRule = {
  id: 'r1',
  name: 'rainfall-intensity',
  metric: 'rain_mm_h',
  direction: 'above',
  levels: [
    { severity: 'critical', threshold: 30 },
    { severity: 'info', threshold: 7.6 },
    { severity: 'warning', threshold: 15 },
  ],
  clearThreshold: 2.5,
  deviceSelector: null,
};
const lowBattery: AlertRule = {
  ...rain,
  id: 'r2',
  metric: 'battery_v',
  direction: 'below',
  levels: [
    { severity: 'warning', threshold: 3.3 },
    { severity: 'critical', threshold: 3.0 },
  ],
  clearThreshold: 3.6,
};

/** Runs a series through the engine and lists the transitions, as the store would apply them. */
function run(rule: AlertRule, values: (number | undefined)[], deviceId = 'slope-1') {
  let state: AlertState | undefined;
  const out: string[] = [];
  values.forEach((v, i) => {
    const reading = {
      deviceId,
      eventId: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
      ts: new Date(Date.UTC(2026, 10, 23, 0, i)).toISOString(),
      metrics: v === undefined ? {} : { [rule.metric]: v },
    };
    const r = evaluate(rule, state, reading);
    if (r.transition) out.push(`${r.transition.kind}:${r.transition.severity}`);
    state = r.next?.status === 'open' ? r.next : undefined;
  });
  return out;
}

describe('alert evaluation (pure)', () => {
  it.each([
    ['nothing below the lowest level', rain, [1, 5, 7.5, 2], []],
    [
      'opens at the level reached, escalates, resolves at the clear threshold',
      rain,
      [1, 8, 16, 31, 20, 2.5],
      ['opened:info', 'escalated:warning', 'escalated:critical', 'resolved:critical'],
    ],
    ['jumps straight to critical', rain, [45, 1], ['opened:critical', 'resolved:critical']],
    ['does not de-escalate or flap between the clear threshold and the levels', rain, [16, 8, 3, 16, 5, 2], ['opened:warning', 'resolved:warning']],
    ['re-opens after resolving', rain, [10, 1, 10], ['opened:info', 'resolved:info', 'opened:info']],
    ['ignores readings without the metric', rain, [10, undefined, 1], ['opened:info', 'resolved:info']],
    ['works downwards for "below" rules', lowBattery, [3.7, 3.2, 2.9, 3.5, 3.6], ['opened:warning', 'escalated:critical', 'resolved:critical']],
  ] as const)('%s', (_name, rule, values, expected) => {
    expect(run(rule, [...values])).toEqual(expected);
  });

  it('ignores a late reading older than what the open alert has seen', () => {
    const open = evaluate(rain, undefined, {
      deviceId: 'd',
      eventId: '00000000-0000-7000-8000-000000000002',
      ts: '2026-11-23T10:00:00.000Z',
      metrics: { rain_mm_h: 20 },
    }).next!;
    const late = evaluate(rain, open, {
      deviceId: 'd',
      eventId: '00000000-0000-7000-8000-000000000001',
      ts: '2026-11-23T09:00:00.000Z',
      metrics: { rain_mm_h: 0 },
    });
    expect(late).toEqual({ next: open, changed: false });
  });

  it('tracks the peak value of an open alert', () => {
    let s = evaluate(rain, undefined, { deviceId: 'd', eventId: 'a', ts: '2026-11-23T10:00:00.000Z', metrics: { rain_mm_h: 10 } }).next!;
    s = evaluate(rain, s, { deviceId: 'd', eventId: 'b', ts: '2026-11-23T10:01:00.000Z', metrics: { rain_mm_h: 25 } }).next!;
    s = evaluate(rain, s, { deviceId: 'd', eventId: 'c', ts: '2026-11-23T10:02:00.000Z', metrics: { rain_mm_h: 12 } }).next!;
    expect({ peak: s.peakValue, last: s.lastValue, severity: s.severity }).toEqual({ peak: 25, last: 12, severity: 'warning' });
  });

  it('applies a rule only to devices its selector matches (a glob, never a regex)', () => {
    expect(selectorMatches('river-*', 'river-3')).toBe(true);
    expect(selectorMatches('river-*', 'slope-3')).toBe(false);
    expect(selectorMatches('gauge-?', 'gauge-1')).toBe(true);
    expect(selectorMatches('a.b', 'axb')).toBe(false);
    expect(selectorMatches(null, 'anything')).toBe(true);
    expect(run({ ...rain, deviceSelector: 'river-*' }, [40, 1], 'slope-9')).toEqual([]);
  });

  it('says a reading opens an alert exactly when evaluating it on a device with none open changes something', () => {
    // The store skips the devices for which this is false in every reading and that have no open alert.
    const rules = [rain, lowBattery, { ...rain, id: 'r3', deviceSelector: 'river-*' }];
    const values = [undefined, Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 2.5, 2.9, 3.0, 3.3, 3.6, 7.5, 7.6, 15, 30, 45];
    let cases = 0;
    for (const rule of rules)
      for (const deviceId of ['river-1', 'slope-1'])
        for (const value of values) {
          const reading = { deviceId, eventId: 'e', ts: '2026-11-23T10:00:00.000Z', metrics: value === undefined ? {} : { [rule.metric]: value } };
          expect([rule.id, deviceId, value, wouldOpen(rule, reading)]).toEqual([rule.id, deviceId, value, evaluate(rule, undefined, reading).changed]);
          cases += 1;
        }
    expect(cases).toBe(90);
  });
});
