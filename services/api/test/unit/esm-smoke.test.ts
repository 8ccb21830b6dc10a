import { SignJWT, jwtVerify } from 'jose';
import * as k8s from '@kubernetes/client-node';
import { v7 } from 'uuid';
test('esm deps load', async () => {
  const key = new TextEncoder().encode('x'.repeat(32));
  const t = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key);
  expect((await jwtVerify(t, key)).payload.exp).toBeDefined();
  expect(typeof k8s.KubeConfig).toBe('function');
  expect(v7()).toMatch(/^[0-9a-f-]{36}$/);
});
