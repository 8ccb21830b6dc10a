/** The dependencies we patch (patches/<name>+<version>.patch, applied by patch-package), by package name. */
import fs from 'node:fs';
import path from 'node:path';

export function patchedPackages(root: string): string[] {
  const dir = path.join(root, 'patches');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .map((f) => {
      // patch-package names a scoped package "@scope+name+1.2.3.patch".
      const parts = f.slice(0, -'.patch'.length).split('+');
      return parts.slice(0, -1).join('/');
    });
}
