/**
 * Who is being traced: the service name and version from the nearest package.json of the entry
 * script (so `services/api/src/main.ts` is `floodgate-api` 0.1.0 without any setting), overridable by OTEL_SERVICE_NAME.
 */
import fs from 'node:fs';
import path from 'node:path';

export interface ServiceIdentity {
  name: string;
  version: string;
}

/** `@floodgate/api` -> `floodgate-api`: a scope is not a valid part of a Prometheus job or Jaeger service name. */
export function serviceNameFromPackage(packageName: string): string {
  return packageName.replace(/^@/, '').replace(/\//g, '-');
}

export function findServiceIdentity(entryScript: string | undefined): ServiceIdentity {
  let dir = entryScript ? path.dirname(path.resolve(entryScript)) : process.cwd();
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string; workspaces?: unknown };
      // The workspace root names the project, not a service: stop there with what it says.
      if (pkg.name) return { name: serviceNameFromPackage(pkg.name), version: pkg.version ?? '0.0.0' };
    }
    const parent = path.dirname(dir);
    if (parent === dir) return { name: 'unknown_service:node', version: '0.0.0' };
    dir = parent;
  }
}
