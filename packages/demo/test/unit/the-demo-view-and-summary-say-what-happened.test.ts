import { renderSummary, renderView, type ViewState } from '../../src/live-view';

const view: ViewState = {
  elapsedSeconds: 42,
  progress: 0.5,
  phase: 'heavy rain',
  fleetRainMmH: 41.2,
  acceptedTotal: 12000,
  acceptedPerSecond: 950,
  retries: 3,
  statusCounts: { '202': 40, '503': 3 },
  lag: 48200,
  workers: 3,
  desiredWorkers: 4,
  lastReason: 'lag 48,200 over 12 partitions, 4,017/replica > 1,000 → 4, capped by maxReplicas',
  scaleUps: 2,
  scaleDowns: 0,
  openAlerts: { critical: 5, warning: 7 },
  alertsOpened: 12,
  alertsResolved: 0,
  webhookDeliveries: 30,
  stored: 11000,
  links: { devices: '300', api: 'http://127.0.0.1:8080/openapi.json' },
};

describe('the demo view', () => {
  it('shows ingest, lag, workers with the reason, alerts and links', () => {
    const text = renderView(view);
    expect(text).toContain('a storm over 300 sensors');
    expect(text).toContain('950 events/s accepted (202), 12000 in all; retries 3; answers 202×40 503×3');
    expect(text).toContain('48,200 events behind');
    expect(text).toContain('3 running, 4 desired; 2 scale-ups');
    expect(text).toContain('capped by maxReplicas');
    expect(text).toContain('open: critical 5, warning 7, info 0');
    expect(text).toContain('api       http://127.0.0.1:8080/openapi.json');
  });

  it('says plainly when accepted events are missing, and when none are', () => {
    const base = {
      accepted: 10,
      stored: 10,
      lost: 0,
      rejected: 0,
      undetermined: 0,
      undeterminedStored: 0,
      alertsOpened: 1,
      alertsEscalated: 0,
      alertsResolved: 1,
      webhookDeliveries: 2,
      badSignatures: 0,
      scaleUps: 1,
      maxWorkers: 2,
      seconds: 30,
    };
    expect(renderSummary(base)).toContain('accepted 10, stored 10 of them: no event lost');
    expect(renderSummary({ ...base, stored: 8, lost: 2 })).toContain('2 ACCEPTED EVENTS MISSING');
  });
});
