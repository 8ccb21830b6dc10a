import { defaultStorm, initialState, makeFleet, rainfall, step, type SimState } from '../../src';

const run = (kind: 'slope' | 'river') => {
  const device = makeFleet(4, 1).find((d) => d.kind === kind)!;
  let state: SimState = initialState();
  const series: Record<string, number>[] = [];
  for (let i = 0; i <= 200; i++) {
    const r = step(device, state, i / 200, 12 / 200);
    state = r.state;
    series.push(r.metrics);
  }
  return series;
};

describe('the storm scenario', () => {
  it('is reproducible for a seed', () => {
    expect(makeFleet(20, 3)).toEqual(makeFleet(20, 3));
    expect(makeFleet(20, 3)).not.toEqual(makeFleet(20, 4));
  });

  it('rains hardest near the peak and is dry before and after', () => {
    const d = { deviceId: 'slope-1', kind: 'slope' as const, exposure: 1, delay: 0 };
    expect(rainfall(0.05, d)).toBeLessThan(1);
    expect(rainfall(defaultStorm.peak, d)).toBeCloseTo(defaultStorm.peakRainMmH + 0.2, 5);
    expect(rainfall(0.95, d)).toBeLessThan(1);
  });

  it('raises rainfall, soil moisture and tilt on a slope past alert levels, and lets rain and moisture fall again', () => {
    const s = run('slope');
    const peak = (k: string) => Math.max(...s.map((m) => m[k]!));
    expect(peak('rain_mm_h')).toBeGreaterThan(29.8); // the rainfall rule's critical level
    expect(peak('soil_moisture_pct')).toBeGreaterThan(40); // the soil-moisture rule's warning level
    expect(peak('tilt_deg')).toBeGreaterThan(0.5); // the slope-tilt rule's warning level
    expect(peak('tilt_deg')).toBeGreaterThan(s[0]!.tilt_deg!);
    expect(s.at(-1)!.rain_mm_h).toBeLessThan(2);
    expect(s.at(-1)!.soil_moisture_pct).toBeLessThan(peak('soil_moisture_pct'));
  });

  it('lifts a river behind the rain and lets it fall back', () => {
    const s = run('river');
    const levels = s.map((m) => m.river_level_m!);
    const top = Math.max(...levels);
    expect(top).toBeGreaterThan(4); // the river-stage rule's warning level
    expect(levels.indexOf(top)).toBeGreaterThan(s.findIndex((m) => m.rain_mm_h === Math.max(...s.map((x) => x.rain_mm_h!))));
    expect(levels.at(-1)!).toBeLessThan(top - 1);
  });
});
