/**
 * The operator's scope and its permissions agree: by default it watches the release namespace (WATCH_NAMESPACE set)
 * with a Role; with operator.watchAllNamespaces it watches everything (WATCH_NAMESPACE unset, as the operator's
 * config requires) with a ClusterRole. The rules are the operator's own file, not a copy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { chartDir, render, type K8sObject } from '../../src/charts';
import { podTemplates } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

const operatorEnv = (objects: K8sObject[]) =>
  Object.fromEntries(
    (podTemplates(objects).find((p) => p.owner === 'Deployment/floodgate-operator')!.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [
      e.name,
      e.value,
    ]),
  );
const rulesFile = () => parse(fs.readFileSync(path.join(chartDir('floodgate'), 'files', 'operator-rbac-rules.yaml'), 'utf8'));

test('by default: the release namespace, a Role with the operator rules, bound to its ServiceAccount', async () => {
  const objects = await render('floodgate', { namespace: 'ingest' });
  expect(operatorEnv(objects).WATCH_NAMESPACE).toBe('ingest');
  const role = objects.find((o) => o.kind === 'Role')!;
  expect(role.metadata.namespace).toBe('ingest');
  expect(role.rules).toEqual(rulesFile());
  const binding = objects.find((o) => o.kind === 'RoleBinding')!;
  expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name });
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'floodgate-operator', namespace: 'ingest' }]);
  expect(podTemplates(objects).find((p) => p.owner === 'Deployment/floodgate-operator')!.spec).toMatchObject({ serviceAccountName: 'floodgate-operator' });
  expect(objects.some((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding')).toBe(false);
});

test('with watchAllNamespaces: WATCH_NAMESPACE unset and a ClusterRole named per namespace', async () => {
  const objects = await render('floodgate', { namespace: 'ingest', set: { 'operator.watchAllNamespaces': true } });
  expect('WATCH_NAMESPACE' in operatorEnv(objects)).toBe(false);
  const role = objects.find((o) => o.kind === 'ClusterRole')!;
  expect(role.metadata.name).toBe('ingest-floodgate-operator');
  expect(role.rules).toEqual(rulesFile());
  expect(objects.find((o) => o.kind === 'ClusterRoleBinding')!.roleRef).toMatchObject({ kind: 'ClusterRole', name: role.metadata.name });
  expect(objects.some((o) => o.kind === 'Role')).toBe(false);
});

test('the operator has a Lease name, its pod identity and metrics port', async () => {
  const env = operatorEnv(await render('floodgate'));
  expect(env).toMatchObject({ LEASE_NAME: 'floodgate-operator', HTTP_PORT: '8081' });
  expect(Object.keys(env)).toEqual(expect.arrayContaining(['POD_NAME', 'POD_NAMESPACE']));
});
