/** The project's charts, their values profiles, and rendering them with `helm template` into parsed objects. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '@floodgate/devstack';
import { goTool, ToolError } from './tools';

const run = promisify(execFile);

export const chartNames = ['floodgate', 'floodgate-kafka', 'floodgate-postgres', 'floodgate-redis', 'floodgate-platform'] as const;
export type ChartName = (typeof chartNames)[number];
export const profiles = ['default', 'dev', 'prod'] as const;
export type Profile = (typeof profiles)[number];

/** The Kubernetes version the charts are rendered for (the devstack's kube-apiserver). */
export const kubeVersion = '1.34.4';

/** Kinds the Prometheus operator serves; `helm template` only renders monitors when told they exist. */
export const monitoringApiVersions = [
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PodMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
];

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  [key: string]: unknown;
}

export const chartDir = (chart: ChartName | string) => path.join(repoRoot(), 'charts', chart);

export function profileFiles(chart: ChartName, profile: Profile): string[] {
  return profile === 'default' ? [] : [path.join(chartDir(chart), `values-${profile}.yaml`)];
}

export interface RenderOptions {
  release?: string;
  namespace?: string;
  profile?: Profile;
  valuesFiles?: string[];
  set?: Record<string, string | number | boolean>;
  monitoring?: boolean;
  /** Render from this folder instead of charts/<chart> (a modified copy). */
  dir?: string;
}

export class HelmError extends ToolError {
  constructor(
    readonly args: string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super('helm', `helm ${args.join(' ')} failed: ${stderr.trim()}`, options);
    this.name = 'HelmError';
  }
}

/** Runs helm and returns stdout; a failure carries helm's stderr (schema and `fail` messages). */
export async function helm(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run(goTool('helm'), args, { env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw new HelmError(args, (err as { stderr?: string }).stderr ?? String(err), { cause: err });
  }
}

export function templateArgs(chart: ChartName, opts: RenderOptions = {}): string[] {
  const args = [
    'template',
    opts.release ?? 'floodgate',
    opts.dir ?? chartDir(chart),
    '--namespace',
    opts.namespace ?? 'floodgate',
    '--kube-version',
    kubeVersion,
  ];
  for (const f of [...profileFiles(chart, opts.profile ?? 'default'), ...(opts.valuesFiles ?? [])]) args.push('-f', f);
  for (const [k, v] of Object.entries(opts.set ?? {})) args.push('--set', `${k}=${v}`);
  if (opts.monitoring ?? true) for (const a of monitoringApiVersions) args.push('--api-versions', a);
  return args;
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null && typeof o === 'object' && 'kind' in o);
}

export async function render(chart: ChartName, opts: RenderOptions = {}): Promise<K8sObject[]> {
  return parseManifests(await helm(templateArgs(chart, opts)));
}

/** Every chart under every profile, rendered once per test file. */
export async function renderAll(opts: Omit<RenderOptions, 'profile'> = {}): Promise<{ chart: ChartName; profile: Profile; objects: K8sObject[] }[]> {
  const out = [];
  for (const chart of chartNames) for (const profile of profiles) out.push({ chart, profile, objects: await render(chart, { ...opts, profile }) });
  return out;
}

export const idOf = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;
