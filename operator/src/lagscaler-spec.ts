/**
 * The LagScaler resource as the operator reads it: its TypeScript shape, and the spec parsed once
 * per reconcile with the CRD's defaults, so an object stored before a default existed (or under a
 * CRD without validation) is still read the same way, and a bad one is named precisely.
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { z } from 'zod';
import { defaultScaleDown, defaultScaleUp, type ScalerSpec, type ScalingRules } from './decide-replicas';

export const GROUP = 'floodgate.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = 'lagscalers';
export const KIND = 'LagScaler';

export interface Condition {
  type: 'Ready' | 'Active' | 'ScalingLimited';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LagScalerStatus {
  observedGeneration?: number;
  totalLag?: number;
  partitionLag?: { topic: string; partition: number; lag: number; committed?: boolean }[];
  partitions?: number;
  consumeRate?: number;
  produceRate?: number;
  currentReplicas?: number;
  desiredReplicas?: number;
  lastScaleTime?: string;
  lastDecision?: string;
  conditions?: Condition[];
}

export interface LagScaler {
  apiVersion?: string;
  kind?: string;
  metadata: V1ObjectMeta & { name: string; namespace: string };
  spec: unknown;
  status?: LagScalerStatus;
}

const policy = z.object({ type: z.enum(['Pods', 'Percent']), value: z.number().int().min(1), periodSeconds: z.number().int().min(1).max(1800) });
const rules = (d: ScalingRules) =>
  z
    .object({
      stabilizationWindowSeconds: z.number().int().min(0).max(3600).default(d.stabilizationWindowSeconds),
      selectPolicy: z.enum(['Max', 'Min', 'Disabled']).default(d.selectPolicy),
      policies: z.array(policy).max(10).default(d.policies),
    })
    .default({ ...d });
const secretKeyRef = (key: string) => z.object({ name: z.string().min(1), key: z.string().min(1).default(key) });

export const lagScalerSpecSchema = z
  .object({
    scaleTargetRef: z.object({ apiVersion: z.string().min(1).default('apps/v1'), kind: z.string().min(1).default('Deployment'), name: z.string().min(1) }),
    kafka: z.object({
      bootstrapServers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1),
      consumerGroup: z.string().min(1),
      topics: z.array(z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/)).min(1),
      offsetResetPolicy: z.enum(['earliest', 'latest']).default('earliest'),
      tls: z
        .object({ enabled: z.boolean().default(false), insecureSkipVerify: z.boolean().default(false), caSecretRef: secretKeyRef('ca.crt').optional() })
        .optional(),
      sasl: z
        .object({
          mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
          secretRef: z.object({
            name: z.string().min(1),
            usernameKey: z.string().min(1).default('username'),
            passwordKey: z.string().min(1).default('password'),
          }),
        })
        .optional(),
    }),
    minReplicas: z.number().int().min(0).max(10000).default(1),
    maxReplicas: z.number().int().min(1).max(10000),
    lagPerReplica: z.number().int().min(1).default(1000),
    activationLag: z.number().int().min(0).default(0),
    consumersPerReplica: z.number().int().min(1).max(64).default(1),
    pollingIntervalSeconds: z.number().int().min(1).max(3600).default(5),
    drainTargetSeconds: z.number().int().min(1).max(86400).optional(),
    paused: z.boolean().default(false),
    scaleUp: rules(defaultScaleUp),
    scaleDown: rules(defaultScaleDown),
  })
  .refine((s) => s.minReplicas <= s.maxReplicas, { message: 'minReplicas must be less than or equal to maxReplicas', path: ['minReplicas'] });

export type LagScalerSpec = z.infer<typeof lagScalerSpecSchema>;

export class InvalidSpecError extends Error {
  constructor(
    readonly lagScaler: string,
    readonly problems: string[],
  ) {
    super(`LagScaler ${lagScaler} has an invalid spec: ${problems.join('; ')}`);
    this.name = 'InvalidSpecError';
  }
}

export function parseSpec(ls: LagScaler): LagScalerSpec {
  const result = lagScalerSpecSchema.safeParse(ls.spec ?? {});
  if (result.success) return result.data;
  throw new InvalidSpecError(
    `${ls.metadata.namespace}/${ls.metadata.name}`,
    result.error.issues.map((i) => `spec.${i.path.join('.')}: ${i.message}`),
  );
}

export function scalerSpec(spec: LagScalerSpec): ScalerSpec {
  return {
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    lagPerReplica: spec.lagPerReplica,
    activationLag: spec.activationLag,
    consumersPerReplica: spec.consumersPerReplica,
    ...(spec.drainTargetSeconds !== undefined ? { drainTargetSeconds: spec.drainTargetSeconds } : {}),
    scaleUp: spec.scaleUp,
    scaleDown: spec.scaleDown,
  };
}

export const lagScalerPath = (namespace?: string, name?: string) =>
  `/apis/${GROUP}/${VERSION}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${PLURAL}${name ? `/${encodeURIComponent(name)}` : ''}`;

export const keyOf = (ls: { metadata: { namespace?: string; name?: string } }) => `${ls.metadata.namespace}/${ls.metadata.name}`;
