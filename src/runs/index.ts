/** Run folders: their records, readers and writers (folder.ts), the run lock, provenance, and the aggregation over seeds. */
export type {
  RunConfig, RunEnvironment, RunSummary, TestNmeRecord, PredictionsRecord, DistributionStatsRecord, LossRecord, ValidationRecord, MetricsRecord, EigenRecord,
  PredictionRecordsRecord, RunStartRecord, ProgressRecord,
} from './records';
export {
  runDirFor, isRunComplete, hasFinishedRun, readRunConfig, readSummary, readTestNme, readDistributionStats, readValidations, eigenTrajectory, finalEigen,
  readPredictionRecords, readPredictionRecordsFile, COMMITTED_RECORD_FACES, readProvenance, readRunStarts,
} from './folder';
export { recordRows, recordsFrame } from './prediction-records';
export type { CodeVersion, KernelSet, Provenance } from './provenance';
export type { RunGrid, ArmResults, PairedComparison, ExperimentResults, ProvenanceGroup, AggregateOptions } from './aggregate';
export { aggregateExperiment, MixedProvenanceError } from './aggregate';
export type { SeedStats, PairedDifference } from './stats';
