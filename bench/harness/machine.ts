/** Facts about the machine and the code a run measured, for results.json and the Markdown header. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { MachineInfo } from './report';

function git(root: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(root: string): MachineInfo {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.versions.node,
    gitCommit: git(root, ['rev-parse', 'HEAD']) ?? 'unknown',
    // Only tracked files count: results and other helpers' untracked files do not make the measured code different.
    gitDirty: (git(root, ['status', '--porcelain', '--untracked-files=no']) ?? '') !== '',
  };
}
