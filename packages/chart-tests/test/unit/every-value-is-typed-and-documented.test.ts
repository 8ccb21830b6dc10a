/**
 * Every value a chart accepts is typed in its values.schema.json and has a row in its README's values table, and
 * the README names the prerequisites: the values file, the schema and the documentation cannot drift apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { chartDir, chartNames } from '../../src/charts';

// Objects passed through whole (resources, security contexts, labels, free-form maps) are one documented value.
const wholeObjects = new Set([
  'commonLabels',
  'annotations',
  'podAnnotations',
  'podLabels',
  'nodeSelector',
  'affinity',
  'labels',
  'config',
  'parameters',
  'resources',
  'podSecurityContext',
  'securityContext',
]);

function leafKeys(v: unknown, prefix: string[] = []): string[] {
  if (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length > 0 && !wholeObjects.has(prefix.at(-1) ?? '')) {
    return Object.entries(v).flatMap(([k, x]) => leafKeys(x, [...prefix, k]));
  }
  return [prefix.join('.')];
}

function schemaHas(schema: any, key: string): boolean {
  let node = schema;
  for (const part of key.split('.')) {
    node = node?.properties?.[part];
    if (!node) return false;
  }
  return node.type !== undefined || node.enum !== undefined || node.oneOf !== undefined || node.const !== undefined;
}

describe.each(chartNames.filter((c) => c !== 'floodgate-platform'))('%s', (chart) => {
  const values = parse(fs.readFileSync(path.join(chartDir(chart), 'values.yaml'), 'utf8'));
  const schema = JSON.parse(fs.readFileSync(path.join(chartDir(chart), 'values.schema.json'), 'utf8'));
  const readme = fs.readFileSync(path.join(chartDir(chart), 'README.md'), 'utf8');

  test('every value has a type in values.schema.json, and unknown keys are refused at the top level', () => {
    const untyped = leafKeys(values).filter((k) => !schemaHas(schema, k));
    expect(untyped).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
  });

  test('every value has a described row in the README values table', () => {
    const rows = new Map([...readme.matchAll(/^\| `([^`]+)` \| [^|]+ \| .* \| (.*) \|$/gm)].map((m) => [m[1], m[2]!.trim()]));
    const missing = leafKeys(values).filter((k) => !rows.get(k));
    expect(missing).toEqual([]);
  });

  test('the README states the prerequisites and how to install each profile', () => {
    expect(readme).toMatch(/## Prerequisites/);
    expect(readme).toContain(`values-dev.yaml`);
  });
});

test('the platform README documents its wiring values and the operators it needs', () => {
  const readme = fs.readFileSync(path.join(chartDir('floodgate-platform'), 'README.md'), 'utf8');
  const values = parse(fs.readFileSync(path.join(chartDir('floodgate-platform'), 'values.yaml'), 'utf8'));
  for (const k of leafKeys(values)) expect(readme).toContain(`\`${k}\``);
  for (const op of ['Strimzi', 'CloudNativePG', 'Prometheus operator']) expect(readme).toContain(op);
});
