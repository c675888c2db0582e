/** Run folders: their records, readers and writers (folder.ts), the run lock, and the aggregation over seeds. */
export type {
  RunConfig, RunEnvironment, RunSummary, TestNmeRecord, PredictionsRecord, DistributionStatsRecord, LossRecord, ValidationRecord, MetricsRecord, EigenRecord,
  PredictionRecordsRecord,
} from './records';
export {
  runDirFor, isRunComplete, hasFinishedRun, readRunConfig, readSummary, readTestNme, readDistributionStats, readValidations, eigenTrajectory, finalEigen,
  readPredictionRecords, readPredictionRecordsFile, COMMITTED_RECORD_FACES,
} from './folder';
export { recordRows, recordsFrame } from './prediction-records';
export type { RunGrid, ArmResults, PairedComparison, ExperimentResults } from './aggregate';
export { aggregateExperiment } from './aggregate';
export type { SeedStats, PairedDifference } from './stats';
