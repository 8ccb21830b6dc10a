/**
 * Event validation in-process, per event of the ingest-batch bodies (100 events each): `validateEvent` as the API runs
 * it (the fast path for plainly valid events), against JSON.parse of the same bodies (work every request does anyway:
 * the ceiling) and against zod's `eventSchema.safeParse` alone (the part of the path before the fast path that zod
 * did; that path also parsed and re-serialised every `ts`). Also the depth check the body parser runs on every body.
 * The functions take turns in short rounds, so a noisy machine slows them alike.
 */
import { eventSchema, jsonDepth, limits, validateEvent } from '@floodgate/events';
import { v7 as uuidv7 } from 'uuid';
import { batchBodies } from '../api/sample-events';
import type { ResultRow, Scenario } from '../harness/scenario';

interface Subject {
  label: string;
  ceiling: boolean;
  /** Handles one parsed body; returns the events handled. */
  run(text: string, body: { events: unknown[] }): number;
}

const subjects: Subject[] = [
  { label: 'JSON.parse of the body', ceiling: true, run: (text) => (JSON.parse(text) as { events: unknown[] }).events.length },
  {
    label: 'validateEvent (as the API runs it)',
    ceiling: false,
    run: (_text, body) => {
      const now = Date.now();
      body.events.forEach((event, index) => {
        if (!validateEvent(event, index, uuidv7, now).ok) throw new Error(`sample event ${index} is invalid`);
      });
      return body.events.length;
    },
  },
  {
    label: 'zod eventSchema.safeParse alone',
    ceiling: false,
    run: (_text, body) => {
      for (const event of body.events) if (!eventSchema.safeParse(event).success) throw new Error('sample event is invalid');
      return body.events.length;
    },
  },
  { label: 'jsonDepth of the body', ceiling: false, run: (_text, body) => (jsonDepth(body) > limits.maxJsonDepth ? 0 : body.events.length) },
];

const scenario: Scenario = {
  name: 'event-validation',
  description: 'Validating ingest events in-process (events/s of validateEvent, zod alone and the depth check) vs JSON.parse of the same bodies.',
  needs: [],
  order: 5,
  run: async (ctx) => {
    const texts = batchBodies(100);
    const bodies = texts.map((t) => JSON.parse(t) as { events: unknown[] });
    const rounds = ctx.quick ? 4 : 10;
    const roundMs = 300;
    const totals = subjects.map(() => ({ events: 0, ns: 0n }));
    // One untimed round first: JIT warm-up.
    for (let round = -1; round < rounds; round++) {
      subjects.forEach((subject, s) => {
        const started = process.hrtime.bigint();
        const until = Date.now() + roundMs;
        let events = 0;
        for (let i = 0; Date.now() < until; i++) events += subject.run(texts[i % texts.length]!, bodies[i % bodies.length]!);
        if (round >= 0) {
          totals[s]!.events += events;
          totals[s]!.ns += process.hrtime.bigint() - started;
        }
      });
    }
    const rate = (s: number) => Math.round(totals[s]!.events / (Number(totals[s]!.ns) / 1e9));
    const rows: ResultRow[] = subjects.map((subject, s) => ({
      label: subject.label,
      ceiling: subject.ceiling,
      throughput: { value: rate(s), unit: 'events/s' },
      extra: { 'µs/event': (1e6 / rate(s)).toFixed(2) },
    }));
    for (const row of rows) ctx.log(`${row.label}: ${row.throughput!.value} events/s`);
    const [parse, validate, zod, depth] = [0, 1, 2, 3].map(rate) as [number, number, number, number];
    return {
      scenario: 'event-validation',
      description: scenario.description,
      rows,
      ratios: [
        { name: 'validateEvent / JSON.parse of the same bodies (events/s)', value: validate / parse },
        { name: 'validateEvent / zod safeParse alone (events/s)', value: validate / zod },
        { name: 'jsonDepth / JSON.parse of the same bodies (events/s)', value: depth / parse },
      ],
      notes: [
        `${texts.length} bodies of 100 sample events (bench/api/sample-events.ts), ${rounds} rounds of ${roundMs} ms per function, taking turns, after one warm-up round.`,
        'validateEvent includes what the API does per event besides zod: the time checks, the UUIDv7 id, the payload checks.',
      ],
    };
  },
};

export default scenario;
