import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { apiNodeFlags } from '../../src/node-flags';

const dockerfile = fs.readFileSync(path.join(__dirname, '../../../../Dockerfile'), 'utf8');

/** The JSON-form ENTRYPOINT of the Dockerfile stage named `stage`. */
function entrypointOf(stage: string): string[] {
  const body = dockerfile.split(/^FROM /m).find((s) => new RegExp(`\\bAS ${stage}\\s*$`, 'm').test(s.split('\n')[0]!));
  if (!body) throw new Error(`the Dockerfile has no stage named ${stage}`);
  const line = /^ENTRYPOINT (\[.*\])\s*$/m.exec(body);
  if (!line) throw new Error(`stage ${stage} has no JSON-form ENTRYPOINT`);
  return JSON.parse(line[1]!) as string[];
}

describe('the API V8 flags', () => {
  it('are the flags the image gives node before the telemetry preload and main.js', () => {
    const entrypoint = entrypointOf('api');
    expect(entrypoint[0]).toBe('node');
    const preload = entrypoint.indexOf('--require');
    expect(preload).toBeGreaterThan(0);
    expect(entrypoint.slice(1, preload)).toEqual(apiNodeFlags);
    expect(entrypoint.slice(preload)).toEqual(['--require', './telemetry-register.js', 'main.js']);
  });

  it('are accepted by this Node (an unknown or malformed flag makes node exit with "bad option")', () => {
    const out = execFileSync(process.execPath, [...apiNodeFlags, '-e', 'process.stdout.write("ok")'], { encoding: 'utf8' });
    expect(out).toBe('ok');
  });

  it('are not given to the worker or the operator, whose images keep V8 defaults', () => {
    for (const stage of ['worker', 'operator']) expect(entrypointOf(stage)).toEqual(['node', '--require', './telemetry-register.js', 'main.js']);
  });
});
