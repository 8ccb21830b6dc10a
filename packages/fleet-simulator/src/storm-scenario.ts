/**
 * A storm over a network of slope and river sensors, as a pure function of time:
 * rainfall rises to a peak and passes; soil moisture integrates it and drains; a
 * slope tilts while the soil is near saturation; a river rises behind the rain.
 * Each device has its own seeded variation, so the same seed gives the same fleet.
 */

export type DeviceKind = 'slope' | 'river';

export interface SimDevice {
  deviceId: string;
  kind: DeviceKind;
  /** How strongly the storm hits this device (0.6-1.4). */
  exposure: number;
  /** When the storm reaches it, as a fraction of the scenario (0-0.08). */
  delay: number;
}

export interface StormProfile {
  /** Peak rainfall intensity in mm/h at the storm's centre. */
  peakRainMmH: number;
  /** Storm start, peak and end as fractions of the scenario's duration. */
  start: number;
  peak: number;
  end: number;
}

export const defaultStorm: StormProfile = { peakRainMmH: 55, start: 0.12, peak: 0.45, end: 0.8 };

/** Mulberry32: a tiny seeded PRNG, so fleets and runs are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeFleet(count: number, seed = 7): SimDevice[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const kind: DeviceKind = i % 4 === 3 ? 'river' : 'slope';
    return { deviceId: `${kind}-${String(i + 1).padStart(4, '0')}`, kind, exposure: 0.6 + rnd() * 0.8, delay: rnd() * 0.08 };
  });
}

/** Rainfall intensity (mm/h) at scenario progress `p` (0-1) for a device. */
export function rainfall(p: number, device: SimDevice, storm = defaultStorm): number {
  const q = p - device.delay;
  if (q <= storm.start || q >= storm.end) return 0.2 * device.exposure;
  const rising = q < storm.peak;
  const x = rising ? (q - storm.start) / (storm.peak - storm.start) : (storm.end - q) / (storm.end - storm.peak);
  const shape = Math.sin((Math.PI / 2) * x) ** 2;
  return 0.2 + storm.peakRainMmH * device.exposure * shape;
}

/** The device's state that carries over between readings (soil water, tilt, river stage). */
export interface SimState {
  soilMoisturePct: number;
  tiltDeg: number;
  riverLevelM: number;
}

export const initialState = (): SimState => ({ soilMoisturePct: 24, tiltDeg: 0.05, riverLevelM: 1.2 });

/** Volumetric water content of a typical slope soil: field capacity about 22 %, saturation about 48 %. */
const FIELD_CAPACITY = 22;
const SATURATION = 48;

/**
 * Advances a device by `dtHours` of simulated time at progress `p`; returns the new
 * state and the metrics it reports. Simple bucket models, not hydrology: enough to
 * make the flagship alert rules (packages/db/migrations) open, escalate and resolve in
 * a believable order: rain first, then soil moisture, then tilt and river stage.
 */
export function step(
  device: SimDevice,
  state: SimState,
  p: number,
  dtHours: number,
  storm = defaultStorm,
): { state: SimState; metrics: Record<string, number> } {
  const rain = rainfall(p, device, storm);
  const room = 1 - (state.soilMoisturePct - 15) / (SATURATION - 15);
  const infiltration = rain * 0.5 * Math.max(0, room);
  const drainage = (state.soilMoisturePct - FIELD_CAPACITY) * 0.06;
  const soil = clamp(state.soilMoisturePct + (infiltration - drainage) * dtHours, 10, SATURATION);
  // Near saturation pore pressure rises and the slope creeps; tilt does not recover.
  const tiltRate = soil > 40 ? (soil - 40) * 0.15 : 0;
  const tilt = clamp(state.tiltDeg + tiltRate * dtHours, 0, 15);
  const riverTarget = 1.2 + rain * 0.09 * device.exposure;
  const river = state.riverLevelM + (riverTarget - state.riverLevelM) * Math.min(1, 0.35 * dtHours);
  const next = { soilMoisturePct: soil, tiltDeg: tilt, riverLevelM: river };
  const round = (v: number, d = 2) => Math.round(v * 10 ** d) / 10 ** d;
  const metrics: Record<string, number> =
    device.kind === 'slope'
      ? { rain_mm_h: round(rain), soil_moisture_pct: round(soil, 1), tilt_deg: round(tilt, 3) }
      : { rain_mm_h: round(rain), river_level_m: round(river, 3) };
  return { state: next, metrics };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
