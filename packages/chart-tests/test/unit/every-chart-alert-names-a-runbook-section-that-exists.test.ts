import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@floodgate/devstack';
import { chartNames, render } from '../../src/charts';

jest.setTimeout(60000);

// GitHub's anchor for a heading: lower case, spaces to hyphens, punctuation dropped.
const anchors = new Set(
  fs
    .readFileSync(path.join(repoRoot(), 'docs/runbooks.md'), 'utf8')
    .split('\n')
    .filter((l) => /^#{1,3} /.test(l))
    .map((l) =>
      l
        .replace(/^#+ /, '')
        .trim()
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
);

// The charts that ship alerts (Redis ships none); each must render some, or this test would prove nothing.
test.each(chartNames.filter((c) => ['floodgate', 'floodgate-kafka', 'floodgate-postgres'].includes(c)))(
  'every alert of %s links to a runbook section in docs/runbooks.md',
  async (chart) => {
    const objects = await render(chart, { monitoring: true });
    const alerts = objects
      .filter((o) => o.kind === 'PrometheusRule')
      .flatMap((o) => (o.spec as { groups: { rules: { alert?: string; annotations?: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules))
      .filter((r) => r.alert);
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts) {
      const anchor = a.annotations?.runbook_url?.split('#')[1];
      expect({ alert: a.alert, anchorExists: anchor !== undefined && anchors.has(anchor) }).toEqual({ alert: a.alert, anchorExists: true });
    }
  },
);
