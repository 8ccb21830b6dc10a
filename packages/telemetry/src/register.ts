/**
 * Preload that traces a service without code changes:
 *   tsx --import ./packages/telemetry/src/register.ts services/api/src/main.ts
 *   node --import ./packages/telemetry/src/register.ts ... (when tsx is already the loader)
 * It must run before the service imports express, kafkajs, pg or ioredis, so their modules are patched on load.
 */
import { startTracing } from './tracing';

startTracing();
