import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { discoverScenarios, parseSelection, scenarioProblem, selectScenarios, serversNeeded } from '../../harness/discover';
import type { Scenario } from '../../harness/scenario';

const scenarioSource = (name: string, extra = '') => `
const scenario = {
  name: '${name}',
  description: 'a fake scenario for the discovery test',
  needs: ['kafka'],${extra}
  run: async () => ({ scenario: '${name}', description: 'fake', rows: [], ratios: [] }),
};
export default scenario;
`;

describe('scenario discovery', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-discover-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads every <name>.ts that default-exports a scenario, in order then by name, and reports the files that do not as broken', async () => {
    fs.writeFileSync(path.join(dir, 'fake-zeta.ts'), scenarioSource('fake-zeta'));
    fs.writeFileSync(path.join(dir, 'fake-alpha.ts'), scenarioSource('fake-alpha'));
    fs.writeFileSync(path.join(dir, 'fake-first.ts'), scenarioSource('fake-first', '\n  order: 5,'));
    fs.writeFileSync(path.join(dir, 'fake-misnamed.ts'), scenarioSource('something-else'));
    fs.writeFileSync(path.join(dir, 'fake-no-export.ts'), 'export const x = 1;\n');
    fs.writeFileSync(path.join(dir, 'fake-throws.ts'), "throw new Error('fake module failure');\nexport default {};\n");
    fs.writeFileSync(path.join(dir, 'types.d.ts'), 'export type X = number;\n');
    fs.mkdirSync(path.join(dir, 'support'));
    fs.writeFileSync(path.join(dir, 'support', 'helper.ts'), 'export const helper = 1;\n');

    const found = await discoverScenarios(dir);
    expect(found.map((d) => d.name)).toEqual(['fake-first', 'fake-alpha', 'fake-misnamed', 'fake-no-export', 'fake-throws', 'fake-zeta']);
    const byName = Object.fromEntries(found.map((d) => [d.name, d]));
    expect('scenario' in byName['fake-alpha']!).toBe(true);
    expect('scenario' in byName['fake-first']!).toBe(true);
    expect(byName['fake-misnamed']).toMatchObject({ error: expect.stringContaining('is named "something-else" but its file is fake-misnamed.ts') });
    expect(byName['fake-no-export']).toMatchObject({ error: expect.stringContaining('does not default-export a Scenario') });
    expect(byName['fake-throws']).toMatchObject({ error: expect.stringContaining('did not load: Error: fake module failure') });
  });

  it('checks the shape of a scenario', () => {
    const ok: Scenario = {
      name: 'fake-ok',
      description: 'd',
      needs: ['kafka', 'kube'],
      run: async () => ({ scenario: 'fake-ok', description: 'd', rows: [], ratios: [] }),
    };
    expect(scenarioProblem(ok, 'fake-ok')).toBeUndefined();
    expect(scenarioProblem({ ...ok, name: 'Fake_OK' }, 'Fake_OK')).toMatch(/kebab-case/);
    expect(scenarioProblem({ ...ok, needs: ['mysql'] }, 'fake-ok')).toMatch(/unknown servers/);
    expect(scenarioProblem({ ...ok, description: '' }, 'fake-ok')).toMatch(/no description/);
    expect(scenarioProblem({ ...ok, run: undefined }, 'fake-ok')).toMatch(/no run/);
    expect(scenarioProblem({ ...ok, order: 'first' }, 'fake-ok')).toMatch(/order/);
    expect(scenarioProblem(undefined, 'fake-ok')).toMatch(/does not default-export/);
  });

  it('selects by SCENARIOS=a,b in run order, and refuses an unknown name listing the known ones', () => {
    const all = ['fake-a', 'fake-b', 'fake-c'].map((name) => ({ name, file: `${name}.ts`, error: 'unused' }));
    expect(parseSelection(undefined)).toBeUndefined();
    expect(parseSelection(' , ')).toBeUndefined();
    expect(parseSelection('fake-c, fake-a')).toEqual(['fake-c', 'fake-a']);
    expect(selectScenarios(all, undefined).map((d) => d.name)).toEqual(['fake-a', 'fake-b', 'fake-c']);
    expect(selectScenarios(all, ['fake-c', 'fake-a']).map((d) => d.name)).toEqual(['fake-a', 'fake-c']);
    expect(() => selectScenarios(all, ['fake-a', 'fake-typo'])).toThrow('unknown scenario(s): fake-typo; known: fake-a, fake-b, fake-c');
  });

  it('starts the union of the servers the selected scenarios need, each once', () => {
    const needing = (needs: Scenario['needs']): Scenario => ({ name: 'fake', description: 'd', needs, run: () => Promise.reject(new Error('not run')) });
    expect(serversNeeded([needing(['redis', 'kafka']), needing(['kafka', 'kube']), needing([])])).toEqual(['kafka', 'redis', 'kube']);
    expect(serversNeeded([])).toEqual([]);
  });
});
