import { newEventId } from '../../src/event-ids';

const uuidV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const msOf = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('the ids the API gives events', () => {
  it('are lower-case UUIDv7 whose time is the clock at creation, unique across many pool refills', () => {
    const before = Date.now();
    const ids = Array.from({ length: 20_000 }, newEventId);
    const after = Date.now();
    expect(ids.filter((id) => !uuidV7.test(id))).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(msOf(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(msOf(ids.at(-1)!)).toBeLessThanOrEqual(after);
    expect(ids.filter((id, i) => i > 0 && msOf(id) < msOf(ids[i - 1]!))).toEqual([]);
  });

  it('spread their random bits evenly (no byte of the pool reused or left zero)', () => {
    // 74 random bits an id: over 4,096 ids, every hex digit of the last group appears about equally often.
    const counts = new Map<string, number>();
    for (let i = 0; i < 4096; i++) for (const c of newEventId().slice(24)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(16);
    for (const n of counts.values()) expect(n).toBeGreaterThan((4096 * 12) / 16 / 1.25);
  });
});
