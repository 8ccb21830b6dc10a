/** The demo's terminal view, as a pure function of what the demo observed (so it is testable), plus the summary. */

export interface ViewState {
  elapsedSeconds: number;
  progress: number;
  phase: string;
  fleetRainMmH: number;
  acceptedTotal: number;
  acceptedPerSecond: number;
  retries: number;
  statusCounts: Record<string, number>;
  lag: number | undefined;
  workers: number;
  desiredWorkers: number | undefined;
  lastReason: string | undefined;
  scaleUps: number;
  scaleDowns: number;
  openAlerts: Record<string, number>;
  alertsOpened: number;
  alertsResolved: number;
  webhookDeliveries: number;
  stored: number;
  links: Record<string, string>;
}

const bar = (fraction: number, width = 30) => {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `${'█'.repeat(n)}${'░'.repeat(width - n)}`;
};

export function renderView(s: ViewState): string {
  const alerts = ['critical', 'warning', 'info'].map((sev) => `${sev} ${s.openAlerts[sev] ?? 0}`).join(', ');
  const statuses = Object.entries(s.statusCounts)
    .sort()
    .map(([k, v]) => `${k}×${v}`)
    .join(' ');
  return [
    `Floodgate demo — a storm over ${s.links.devices ?? '?'} sensors          ${s.elapsedSeconds.toFixed(0)} s`,
    `  storm     ${bar(s.progress)} ${(s.progress * 100).toFixed(0)}%  ${s.phase}, fleet rain ${s.fleetRainMmH.toFixed(1)} mm/h`,
    `  ingest    ${s.acceptedPerSecond.toFixed(0)} events/s accepted (202), ${s.acceptedTotal} in all; retries ${s.retries}; answers ${statuses || '-'}`,
    `  lag       ${s.lag === undefined ? '-' : s.lag.toLocaleString('en')} events behind in floodgate-worker`,
    `  workers   ${s.workers} running, ${s.desiredWorkers ?? '-'} desired; ${s.scaleUps} scale-ups, ${s.scaleDowns} scale-downs`,
    `            ${s.lastReason ?? 'waiting for the first decision'}`,
    `  stored    ${s.stored} readings in PostgreSQL`,
    `  alerts    open: ${alerts}; opened ${s.alertsOpened}, resolved ${s.alertsResolved}; webhook deliveries ${s.webhookDeliveries}`,
    ...Object.entries(s.links)
      .filter(([k]) => k !== 'devices')
      .map(([k, v]) => `  ${k.padEnd(9)} ${v}`),
    '',
    '  Ctrl-C stops everything cleanly.',
  ].join('\n');
}

export interface Summary {
  accepted: number;
  stored: number;
  lost: number;
  rejected: number;
  undetermined: number;
  undeterminedStored: number;
  alertsOpened: number;
  alertsEscalated: number;
  alertsResolved: number;
  webhookDeliveries: number;
  badSignatures: number;
  scaleUps: number;
  maxWorkers: number;
  seconds: number;
}

export function renderSummary(s: Summary): string {
  const verdict = s.lost === 0 ? 'no event lost' : `${s.lost} ACCEPTED EVENTS MISSING`;
  return [
    'Floodgate demo — summary',
    `  events    accepted ${s.accepted}, stored ${s.stored} of them: ${verdict}`,
    `            rejected ${s.rejected}; undetermined ${s.undetermined} (answered neither 202 nor a definite error; ${s.undeterminedStored} of them stored)`,
    `  alerts    opened ${s.alertsOpened}, escalated ${s.alertsEscalated}, resolved ${s.alertsResolved}; webhook deliveries ${s.webhookDeliveries} (${s.badSignatures} with a bad signature)`,
    `  scaling   ${s.scaleUps} scale-ups, up to ${s.maxWorkers} workers`,
    `  took      ${s.seconds.toFixed(0)} s`,
  ].join('\n');
}
