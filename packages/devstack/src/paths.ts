/** Where the stack keeps its state (git-ignored, per checkout) and its downloads (per user). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export function repoRoot(start = __dirname): string {
  let dir = start;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).workspaces) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no workspace root above ${start}`);
    dir = parent;
  }
}

/** Default state folder: `.floodgate/stack` in the checkout (listed in .gitignore). */
export function defaultStateDir(): string {
  return process.env.FLOODGATE_STATE_DIR ?? path.join(repoRoot(), '.floodgate', 'stack');
}

/** The user's cache for downloaded and built tools, keyed by version below it. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache');
  return path.join(base, 'floodgate');
}
