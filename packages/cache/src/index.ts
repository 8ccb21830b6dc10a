/** Redis cache of device state, coherent by event time. */
export {
  CAS_DEVICES_PER_CALL,
  DeviceCache,
  deviceCacheEntry,
  deviceCacheEntryOfEvent,
  deviceCacheEntryColumns,
  deviceCacheEntryFromRow,
  deviceKey,
  deviceOrderField,
  deviceStateFromRow,
  deviceStateColumns,
  inJsonbOrder,
  orderIsEvent,
  orderOf,
} from './device-cache';
export type { DeviceState, DeviceRow, DeviceCacheEntry, DeviceCacheEntryRow } from './device-cache';
