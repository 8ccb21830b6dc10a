import fs from 'node:fs';
import path from 'node:path';
import { outputDir, renderAll } from '../../../../dashboards/render';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
}

const rendered = renderAll();
const parsed = Object.entries(rendered).map(([file, text]) => [file, JSON.parse(text) as { uid: string; title: string; panels: Panel[] }] as const);

describe('dashboards as code', () => {
  it.each(Object.keys(rendered))('%s in the chart is exactly what the code renders (run: npx tsx dashboards/render.ts)', (file) => {
    expect(fs.readFileSync(path.join(outputDir, file), 'utf8')).toBe(rendered[file]);
  });

  it('have unique uids and an SRE overview plus one per service', () => {
    const uids = parsed.map(([, d]) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids.sort()).toEqual(['floodgate-api', 'floodgate-operator', 'floodgate-sre-overview', 'floodgate-worker']);
  });

  it('query the chosen Prometheus in every panel, with at least one PromQL expression each', () => {
    const problems = parsed.flatMap(([file, d]) =>
      d.panels
        .filter((p) => p.type !== 'row')
        .filter((p) => p.datasource?.uid !== '${datasource}' || !p.targets?.length || p.targets.some((t) => !t.expr || t.datasource?.uid !== '${datasource}'))
        .map((p) => `${file}: ${p.title}`),
    );
    expect(problems).toEqual([]);
  });

  it('cover what an SRE asks first', () => {
    const overview = parsed.find(([file]) => file === 'floodgate-sre-overview.json')![1];
    const titles = overview.panels.map((p) => p.title.toLowerCase()).join(' | ');
    for (const topic of ['ingest rate', '5xx', 'p99', 'lag per partition', 'replicas vs desired', 'dead-letter', 'cache hit', 'database write', 'alerts']) {
      expect(titles).toContain(topic);
    }
  });
});
