import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '@floodgate/devstack';
import { render } from '@floodgate/chart-tests/src/charts';
import { parseDockerfile } from '../../src/dockerfile';

jest.setTimeout(60000);
const root = repoRoot();
const skaffold = parse(fs.readFileSync(path.join(root, 'skaffold.yaml'), 'utf8'));
const release = skaffold.deploy.helm.releases[0];

describe('skaffold.yaml', () => {
  it('uses the skaffold v2 schema and builds each Dockerfile target once', () => {
    expect(skaffold.apiVersion).toBe('skaffold/v4beta11');
    const stages = parseDockerfile(path.join(root, 'Dockerfile')).stages.map((s) => s.name);
    const artifacts = skaffold.build.artifacts as { image: string; docker: { dockerfile: string; target: string } }[];
    expect(artifacts.map((a) => a.docker.target).sort()).toEqual(['api', 'operator', 'worker']);
    for (const a of artifacts) {
      expect(stages).toContain(a.docker.target);
      expect(fs.existsSync(path.join(root, a.docker.dockerfile))).toBe(true);
      expect(a.image).toBe(`floodgate/${a.docker.target}`);
    }
  });

  it('deploys the platform chart with files that exist, in dev and prod', () => {
    expect(fs.existsSync(path.join(root, release.chartPath, 'Chart.yaml'))).toBe(true);
    for (const f of release.valuesFiles) expect(fs.existsSync(path.join(root, f))).toBe(true);
    const prod = skaffold.profiles.find((p: { name: string }) => p.name === 'prod');
    expect(fs.existsSync(path.join(root, prod.patches[0].value))).toBe(true);
  });

  it('sets image values the chart accepts, and they land on the right containers', async () => {
    // Skaffold fills the templates with the built image's repo, tag and digest.
    const set: Record<string, string> = {};
    for (const [key, template] of Object.entries(release.setValueTemplates as Record<string, string>)) {
      set[key] = template
        .replace(/\{\{\.IMAGE_REPO_floodgate_(\w+)\}\}/, 'registry.example/floodgate/$1')
        .replace(/\{\{\.IMAGE_TAG_floodgate_\w+\}\}@\{\{\.IMAGE_DIGEST_floodgate_\w+\}\}/, 'abc123@sha256:' + '0'.repeat(64));
    }
    const objects = await render('floodgate-platform', { valuesFiles: release.valuesFiles.map((f: string) => path.join(root, f)), set });
    const images = objects.flatMap((o) => ((o.spec as any)?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image));
    for (const svc of ['api', 'worker', 'operator']) expect(images).toContain(`registry.example/floodgate/${svc}:abc123@sha256:${'0'.repeat(64)}`);
  });

  it('forwards the API service that the chart really creates', async () => {
    const objects = await render('floodgate-platform', { valuesFiles: release.valuesFiles.map((f: string) => path.join(root, f)) });
    const api = skaffold.portForward.find((p: { localPort: number }) => p.localPort === 8080);
    const service = objects.find((o) => o.kind === 'Service' && o.metadata.name === api.resourceName);
    expect(service).toBeDefined();
    expect((service!.spec as { ports: { port: number }[] }).ports.map((p) => p.port)).toContain(api.port);
  });
});
