/** Redis cache of device state, coherent by event time. */
export { DeviceCache, deviceKey } from './device-cache';
export type { DeviceState } from './device-cache';
