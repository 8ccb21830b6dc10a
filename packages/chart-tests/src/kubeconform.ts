/** Runs kubeconform (strict, offline) over rendered manifests with the schemas written by json-schemas.ts. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { goTool } from './tools';

const run = promisify(execFile);

export interface KubeconformResult {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
}

/** Validates manifests (files) strictly; `ignoreMissing` lets kinds without a local schema through (reported as skipped). */
export async function kubeconform(files: string[], schemaLocation: string, opts: { ignoreMissing?: boolean } = {}): Promise<KubeconformResult[]> {
  const args = ['-strict', '-summary', '-output', 'json', '-verbose', '-schema-location', schemaLocation];
  if (opts.ignoreMissing) args.push('-ignore-missing-schemas');
  let stdout: string;
  try {
    ({ stdout } = await run(goTool('kubeconform'), [...args, ...files], { maxBuffer: 64 * 1024 * 1024 }));
  } catch (err) {
    // Exit status 1 means invalid resources; the JSON report is still on stdout.
    stdout = (err as { stdout?: string }).stdout ?? '';
    if (!stdout) throw err;
  }
  return (JSON.parse(stdout) as { resources: KubeconformResult[] }).resources;
}
