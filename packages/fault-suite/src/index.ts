/** Fault injection support: steady load with known ids and the no-loss checker. */
export { startSteadyLoad } from './steady-load';
export type { SteadyLoad, SteadyLoadOptions } from './steady-load';
export { checkNoLoss, renderReports } from './no-loss-checker';
export type { FaultReport } from './no-loss-checker';
