/** The operators' CRDs kept as data for offline validation (Strimzi, CloudNativePG, Prometheus operator). */
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '@floodgate/devstack';

/** Folder of the shared CRDs: FLOODGATE_SHARED_CRDS, else ../shared/crds beside the checkout (DESIGN.md). */
export function sharedCrdDir(): string {
  return process.env.FLOODGATE_SHARED_CRDS ?? path.resolve(repoRoot(), '..', 'shared', 'crds');
}

export function sharedCrdFiles(): string[] {
  const root = sharedCrdDir();
  if (!fs.existsSync(root))
    throw new Error(`no CRDs at ${root}: set FLOODGATE_SHARED_CRDS to the folder holding strimzi/, cloudnative-pg/ and prometheus-operator/`);
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(root, d.name))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => path.join(root, d.name, f)),
    )
    .sort();
}
