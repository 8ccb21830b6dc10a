/** Finds helm, kubeconform and promtool, building the Go tools through scripts/go-tools.sh the first time. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, repoRoot } from '@floodgate/devstack';

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${tool}: ${message}`, options);
    this.name = 'ToolError';
  }
}

function toolsBin(): string {
  return path.join(process.env.FLOODGATE_TOOLS_DIR ?? path.join(cacheDir(), 'tools'), 'bin');
}

const resolved = new Map<string, string>();

/** Absolute path of a Go tool from the project's cache; builds it when missing (needs Go and the module proxy). */
export function goTool(name: 'helm' | 'kubeconform'): string {
  const known = resolved.get(name);
  if (known) return known;
  let bin = path.join(toolsBin(), name);
  if (!fs.existsSync(bin)) {
    try {
      const dir = execFileSync('bash', [path.join(repoRoot(), 'scripts', 'go-tools.sh'), name], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }).trim();
      bin = path.join(dir.split('\n').pop()!, name);
    } catch (err) {
      throw new ToolError(name, `not in ${toolsBin()} and scripts/go-tools.sh ${name} failed; run it by hand to see why`, { cause: err });
    }
  }
  resolved.set(name, bin);
  return bin;
}

/** promtool comes from Debian's `prometheus` package (the devstack's Prometheus). */
export function promtool(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat('/usr/bin')) {
    const bin = path.join(dir, 'promtool');
    if (fs.existsSync(bin)) return bin;
  }
  throw new ToolError('promtool', 'not found on PATH: apt-get install prometheus');
}
