import fc from 'fast-check';
import { validateEvent } from '@floodgate/events';
import { v7 } from 'uuid';
import { eventsOf } from '../../src/routes/ingest-route';
import { ProblemError } from '../../src/problem';

describe('validation of whatever a client sends', () => {
  it('either accepts an event or explains with a pointer, and never throws anything but a problem', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything(), fc.record({ events: fc.array(fc.jsonValue(), { maxLength: 5 }) })), (body) => {
        let events: unknown[];
        try {
          events = eventsOf(body);
        } catch (err) {
          expect(err).toBeInstanceOf(ProblemError);
          expect((err as ProblemError).status).toBe(400);
          return;
        }
        events.forEach((e, i) => {
          const result = validateEvent(e, i, v7);
          if (result.ok) {
            expect(Number.isFinite(Date.parse(result.event.ts))).toBe(true);
            expect(Object.values(result.event.metrics).every(Number.isFinite)).toBe(true);
          } else {
            expect(result.problems.length).toBeGreaterThan(0);
            for (const p of result.problems) {
              expect(p.index).toBe(i);
              expect(p.pointer.startsWith('/')).toBe(true);
            }
          }
        });
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every well-formed event it generates', () => {
    const event = fc.record({
      deviceId: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/),
      ts: fc.date({ min: new Date('2000-01-01'), max: new Date('2026-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
      metrics: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/), fc.double({ noNaN: true, noDefaultInfinity: true }), { maxKeys: 10 }),
    });
    fc.assert(fc.property(event, (e) => expect(validateEvent(e, 0, v7).ok).toBe(true)));
  });
});
