/**
 * Landslide risk from recent rainfall, as a pure function: the mean rainfall intensity I
 * (mm/h) over the last D hours is compared with a published intensity–duration threshold
 * I = a·D^-b; a ratio at or above 1 for any duration means the rain has reached conditions
 * that triggered shallow landslides in the threshold's data set.
 *
 * Thresholds:
 * - Caine, N. (1980). The rainfall intensity–duration control of shallow landslides and
 *   debris flows. Geografiska Annaler A 62(1–2), 23–27: I = 14.82·D^-0.39, 0.167 h < D < 500 h.
 * - Guzzetti, F., Peruccacci, S., Rossi, M., Stark, C. P. (2008). The rainfall
 *   intensity–duration control of shallow landslides and debris flows: an update.
 *   Landslides 5, 3–17: global minimum threshold I = 2.20·D^-0.44, 0.1 h < D < 1000 h.
 * Global thresholds are lower bounds; a local calibration should replace them where one exists.
 */

export interface IdThreshold {
  id: 'guzzetti-2008' | 'caine-1980';
  a: number;
  b: number;
  minHours: number;
  maxHours: number;
  source: string;
}

export const thresholds: Record<IdThreshold['id'], IdThreshold> = {
  'guzzetti-2008': {
    id: 'guzzetti-2008',
    a: 2.2,
    b: 0.44,
    minHours: 0.1,
    maxHours: 1000,
    source: 'Guzzetti et al. (2008), Landslides 5:3-17, global ID threshold I = 2.20 D^-0.44',
  },
  'caine-1980': {
    id: 'caine-1980',
    a: 14.82,
    b: 0.39,
    minHours: 0.167,
    maxHours: 500,
    source: 'Caine (1980), Geografiska Annaler A 62:23-27, I = 14.82 D^-0.39',
  },
};

export interface RainSample {
  /** Event time in ms since the epoch. */
  tsMs: number;
  /** Rainfall intensity in mm/h, held until the next sample (at most `maxHoldHours`). */
  intensityMmH: number;
}

export type RiskLevel = 'unknown' | 'low' | 'moderate' | 'high' | 'very-high';

export interface DurationAssessment {
  hours: number;
  rainfallMm: number;
  meanIntensityMmH: number;
  thresholdMmH: number;
  ratio: number;
}

export interface RiskAssessment {
  risk: RiskLevel;
  /** The largest I / I_threshold over the durations assessed. */
  maxRatio: number;
  criticalDurationHours: number | null;
  durations: DurationAssessment[];
  samples: number;
}

export const defaultDurationsHours = [1, 3, 6, 12, 24, 48, 72];

export function thresholdIntensity(t: IdThreshold, hours: number): number {
  return t.a * Math.pow(hours, -t.b);
}

/** Rain (mm) that fell in [fromMs, toMs), integrating each sample's intensity until the next one. */
export function rainfallBetween(samples: RainSample[], fromMs: number, toMs: number, maxHoldHours = 1): number {
  const sorted = [...samples].sort((x, y) => x.tsMs - y.tsMs);
  let mm = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    const end = Math.min(sorted[i + 1]?.tsMs ?? toMs, s.tsMs + maxHoldHours * 3_600_000, toMs);
    const start = Math.max(s.tsMs, fromMs);
    if (end > start && s.intensityMmH > 0) mm += (s.intensityMmH * (end - start)) / 3_600_000;
  }
  return mm;
}

export function riskLevel(ratio: number): Exclude<RiskLevel, 'unknown'> {
  if (ratio >= 2) return 'very-high';
  if (ratio >= 1) return 'high';
  if (ratio >= 0.5) return 'moderate';
  return 'low';
}

export function assessLandslideRisk(samples: RainSample[], asOfMs: number, threshold: IdThreshold, durationsHours = defaultDurationsHours): RiskAssessment {
  const usable = samples.filter((s) => Number.isFinite(s.intensityMmH) && s.intensityMmH >= 0 && s.tsMs <= asOfMs);
  if (usable.length === 0) return { risk: 'unknown', maxRatio: 0, criticalDurationHours: null, durations: [], samples: 0 };
  const durations = durationsHours
    .filter((h) => h > threshold.minHours && h < threshold.maxHours)
    .map((hours) => {
      const rainfallMm = rainfallBetween(usable, asOfMs - hours * 3_600_000, asOfMs);
      const meanIntensityMmH = rainfallMm / hours;
      const thresholdMmH = thresholdIntensity(threshold, hours);
      return { hours, rainfallMm, meanIntensityMmH, thresholdMmH, ratio: meanIntensityMmH / thresholdMmH };
    });
  const worst = durations.reduce<DurationAssessment | undefined>((m, d) => (!m || d.ratio > m.ratio ? d : m), undefined);
  const maxRatio = worst?.ratio ?? 0;
  return { risk: riskLevel(maxRatio), maxRatio, criticalDurationHours: worst && worst.ratio > 0 ? worst.hours : null, durations, samples: usable.length };
}
