/**
 * Renders the dashboards (code in this folder) to the JSON the chart ships in ConfigMaps:
 *   npx tsx dashboards/render.ts            write charts/floodgate/dashboards/*.json
 *   npx tsx dashboards/render.ts --check    fail if a committed JSON file differs from the code
 */
import fs from 'node:fs';
import path from 'node:path';
import { apiDashboard } from './api-dashboard';
import { operatorDashboard } from './operator-dashboard';
import { sreOverview } from './sre-overview';
import { workerDashboard } from './worker-dashboard';

export const dashboards = { 'sre-overview': sreOverview, api: apiDashboard, worker: workerDashboard, operator: operatorDashboard };

export const outputDir = path.resolve(__dirname, '../charts/floodgate/dashboards');

/** File name -> rendered JSON text (stable: two renders of the same code are byte-identical). */
export function renderAll(): Record<string, string> {
  return Object.fromEntries(Object.entries(dashboards).map(([name, builder]) => [`floodgate-${name}.json`, `${JSON.stringify(builder.build(), null, 2)}\n`]));
}

function main(): void {
  const check = process.argv.includes('--check');
  const rendered = renderAll();
  const stale: string[] = [];
  fs.mkdirSync(outputDir, { recursive: true });
  for (const [file, text] of Object.entries(rendered)) {
    const target = path.join(outputDir, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === text) continue;
    if (check) stale.push(file);
    else fs.writeFileSync(target, text);
  }
  if (stale.length) {
    process.stderr.write(`dashboards out of date: ${stale.join(', ')}\n  fix: npx tsx dashboards/render.ts\n`);
    process.exit(1);
  }
  process.stdout.write(`${check ? 'checked' : 'rendered'} ${Object.keys(rendered).length} dashboards in ${path.relative(process.cwd(), outputDir)}\n`);
}

if (require.main === module) main();
