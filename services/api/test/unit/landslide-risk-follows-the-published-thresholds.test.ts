import { assessLandslideRisk, rainfallBetween, riskLevel, thresholdIntensity, thresholds } from '../../src/landslide-risk';

const hour = 3_600_000;
const asOf = Date.parse('2026-11-23T12:00:00Z');
const steady = (mmH: number, hours: number, everyMinutes = 10) =>
  Array.from({ length: (hours * 60) / everyMinutes + 1 }, (_, i) => ({ tsMs: asOf - i * everyMinutes * 60_000, intensityMmH: mmH }));

describe('rainfall intensity-duration thresholds', () => {
  it('matches the published curves: Caine (1980) 14.82 D^-0.39 and Guzzetti et al. (2008) 2.20 D^-0.44', () => {
    expect(thresholdIntensity(thresholds['caine-1980'], 1)).toBeCloseTo(14.82, 10);
    expect(thresholdIntensity(thresholds['caine-1980'], 10)).toBeCloseTo(14.82 * Math.pow(10, -0.39), 10);
    expect(thresholdIntensity(thresholds['caine-1980'], 1 / 6)).toBeCloseTo(29.8, 1); // the 10-minute burst value quoted in the seed rules
    expect(thresholdIntensity(thresholds['guzzetti-2008'], 24)).toBeCloseTo(2.2 * Math.pow(24, -0.44), 10);
  });

  it('integrates intensity over time, holding a sample until the next one but never longer than an hour', () => {
    expect(rainfallBetween(steady(6, 3), asOf - 3 * hour, asOf)).toBeCloseTo(18, 10);
    // One sample and then silence: it counts for one hour, not for the whole gap.
    expect(rainfallBetween([{ tsMs: asOf - 5 * hour, intensityMmH: 10 }], asOf - 6 * hour, asOf)).toBeCloseTo(10, 10);
    // Only the part inside the window counts.
    expect(rainfallBetween([{ tsMs: asOf - 1.5 * hour, intensityMmH: 4 }], asOf - hour, asOf)).toBeCloseTo(2, 10);
  });

  it('rates by the worst ratio of mean intensity to the threshold over the durations', () => {
    const storm = assessLandslideRisk(steady(20, 6), asOf, thresholds['caine-1980']);
    // 20 mm/h for 6 h against 14.82 * 6^-0.39 = 7.47 mm/h: ratio 2.68 at 6 h, the largest of the covered durations.
    expect(storm.criticalDurationHours).toBe(6);
    expect(storm.maxRatio).toBeCloseTo(20 / (14.82 * Math.pow(6, -0.39)), 6);
    expect(storm.risk).toBe('very-high');

    const drizzle = assessLandslideRisk(steady(0.5, 72, 60), asOf, thresholds['caine-1980']);
    expect(drizzle.risk).toBe('low');
    expect(assessLandslideRisk(steady(0.5, 72, 60), asOf, thresholds['guzzetti-2008']).risk).toBe('high'); // the global minimum threshold is far lower
  });

  it('says unknown without data, and ignores samples after the assessment time or not finite', () => {
    expect(assessLandslideRisk([], asOf, thresholds['guzzetti-2008']).risk).toBe('unknown');
    const future = assessLandslideRisk(
      [
        { tsMs: asOf + hour, intensityMmH: 100 },
        { tsMs: asOf - hour, intensityMmH: Number.NaN },
      ],
      asOf,
      thresholds['guzzetti-2008'],
    );
    expect(future.risk).toBe('unknown');
  });

  it('maps ratios to levels at 0.5, 1 and 2', () => {
    expect([0.49, 0.5, 0.99, 1, 1.99, 2].map(riskLevel)).toEqual(['low', 'moderate', 'moderate', 'high', 'high', 'very-high']);
  });
});
