/** The device fleet simulator: storm scenario, gateway client, ledger. */
export * from './storm-scenario';
export * from './ingest-client';
export { runFleet } from './fleet-run';
export type { FleetRunOptions } from './fleet-run';
