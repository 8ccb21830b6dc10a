/** Stops the stack the global setup started (a stack it only reused keeps running). */
import { down } from './stack';

export default async function globalTeardown(): Promise<void> {
  const info = (globalThis as { __floodgateStack?: { dir: string; owned: boolean } }).__floodgateStack;
  if (info?.owned) await down({ dir: info.dir });
}
