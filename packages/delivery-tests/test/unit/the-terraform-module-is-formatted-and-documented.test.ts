import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@floodgate/devstack';

// `terraform validate` needs the helm and kubernetes providers, which cannot be had here
// (see terraform/README.md); these checks are what can be proven without them.
const root = repoRoot();
const dir = path.join(root, 'terraform');
const tf = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith('.tf'))
  .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
  .join('\n');
const terraformBin = () => {
  const out = execFileSync(path.join(root, 'scripts/go-tools.sh'), ['terraform'], { encoding: 'utf8' }).trim();
  return path.join(out, 'terraform');
};

describe('the Terraform module', () => {
  it('is formatted (terraform fmt -check)', () => {
    expect(() =>
      execFileSync(terraformBin(), ['fmt', '-check', '-recursive', dir], { env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' }, stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('declares, types and describes every variable it uses, and uses every one it declares', () => {
    const declared = [...tf.matchAll(/variable "(\w+)" \{([\s\S]*?)\n\}/g)].map((m) => ({ name: m[1]!, body: m[2]! }));
    const used = new Set([...tf.matchAll(/var\.(\w+)/g)].map((m) => m[1]!));
    for (const v of declared) {
      expect(v.body).toMatch(/description\s*=/);
      expect(v.body).toMatch(/type\s*=/);
      expect(used).toContain(v.name);
    }
    for (const u of used) expect(declared.map((d) => d.name)).toContain(u);
  });

  it('sets in its example every variable that has no default', () => {
    const example = fs.readFileSync(path.join(dir, 'example.tfvars'), 'utf8');
    const required = [...tf.matchAll(/variable "(\w+)" \{([\s\S]*?)\n\}/g)].filter((m) => !/default\s*=/.test(m[2]!)).map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    for (const r of required) expect(example).toMatch(new RegExp(`^${r}\\s*=`, 'm'));
  });

  it('installs the chart from this repository with a values profile that exists', () => {
    expect(tf).toContain('"${path.module}/../charts/floodgate-platform"');
    for (const profile of ['dev', 'prod']) expect(fs.existsSync(path.join(root, 'charts/floodgate-platform', `values-${profile}.yaml`))).toBe(true);
  });
});
