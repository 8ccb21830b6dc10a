/** Every image the charts render is pinned to a version (never `latest` or untagged), and asking for `latest` fails. */
import { HelmError, render, renderAll } from '../../src/charts';
import { allContainers, podTemplates } from '../../src/pods';

// helm, kubeconform and the API server take seconds on a shared machine; jest's testTimeout is global, not per project.
jest.setTimeout(60000);

test('every container image of every chart and profile has an explicit, non-latest tag', async () => {
  const images = new Set<string>();
  for (const { objects } of await renderAll()) for (const p of podTemplates(objects)) for (const c of allContainers(p)) images.add(c.image);
  expect(images.size).toBeGreaterThanOrEqual(5);
  for (const image of images) {
    const tag = /^(?:.*\/)?[^/:@]+(?::([^/@]+))?(?:@sha256:[a-f0-9]{64})?$/.exec(image)?.[1];
    expect({ image, tag }).toEqual({ image, tag: expect.stringMatching(/^(?!latest$)[\w][\w.-]{0,127}$/) });
  }
});

test('the app images default to the chart appVersion, as floodgate/api, floodgate/worker and floodgate/operator', async () => {
  const images = podTemplates(await render('floodgate')).flatMap((p) => allContainers(p).map((c) => c.image));
  expect(new Set(images.filter((i) => i.startsWith('floodgate/')))).toEqual(
    new Set(['floodgate/api:0.1.0', 'floodgate/worker:0.1.0', 'floodgate/operator:0.1.0']),
  );
});

test.each([
  ['floodgate', 'image.tag'],
  ['floodgate', 'worker.image.tag'],
  ['floodgate-redis', 'image.tag'],
] as const)('%s refuses %s=latest with a message that says why', async (chart, key) => {
  await expect(render(chart, { set: { [key]: 'latest' } })).rejects.toThrow(HelmError);
  await expect(render(chart, { set: { [key]: 'latest' } })).rejects.toThrow(/`latest` is not allowed/);
});
