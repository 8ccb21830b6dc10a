/** Starts (or reuses) the devstack's kube-apiserver for a test file and installs the operators' CRDs into it. */
import { stackEnv, up } from '@floodgate/devstack';
import { helm } from './charts';
import { sharedCrdFiles } from './crds';
import { applyCrds, kubeTarget, type KubeTarget } from './kube';

export async function kubeWithOperatorCrds(): Promise<KubeTarget> {
  const stack = await up({ dir: process.env.FLOODGATE_STATE_DIR, servers: ['kube'] });
  Object.assign(process.env, stackEnv(stack));
  const target = kubeTarget();
  await applyCrds(target, sharedCrdFiles());
  return target;
}

/** helm against the stack's API server (KUBECONFIG from the stack). */
export const helmKube = (args: string[]) => helm(args, { ...process.env });
