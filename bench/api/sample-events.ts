/** The request bodies of the ingest and read scenarios, and the size of one Kafka record as the API writes it. */
import { encodeEventMessage } from '@floodgate/events';

/** Event i of a fleet of 500 devices, with the flagship metrics. */
export function sampleEvent(i: number): { deviceId: string; ts: string; metrics: Record<string, number> } {
  return {
    deviceId: `bench-${i % 500}`,
    ts: new Date().toISOString(),
    metrics: { rain_mm_h: (i % 50) / 2, soil_moisture_pct: 30 + (i % 20), tilt_deg: 0.1 },
  };
}

/** 1,000 single-event bodies, used round-robin. */
export const singleBodies = (): string[] => Array.from({ length: 1000 }, (_, i) => JSON.stringify(sampleEvent(i)));

/** 50 bodies of `size` events each, used round-robin. */
export const batchBodies = (size = 100): string[] =>
  Array.from({ length: 50 }, (_, b) => JSON.stringify({ events: Array.from({ length: size }, (_, i) => sampleEvent(b * size + i)) }));

/** Bytes of one record value the API produces for a sample event (the broker ceiling uses the same size). */
export function recordSize(): number {
  return Buffer.byteLength(
    encodeEventMessage({ eventId: '0190d5a0-0000-7000-8000-000000000000', ...sampleEvent(1) }, Date.now(), 'gateway:bench-gateway').value,
  );
}
