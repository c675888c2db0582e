/**
 * The run folder `<results>/runs/<experiment>/<arm>-s<seed>/` and its files: the one module that knows their names and
 * formats. Writers take the typed records of records.ts, readers return them (null or [] when a file is absent).
 * The trainer keeps its checkpoints and appends its logs through `trainingLog`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { appendLine, readJson, writeFileAtomic, writeJsonAtomic } from '../util/files';
import { firstFaces } from '../analysis/prediction-records';
import { decodeRecords, encodeRecords } from './prediction-records';
import type {
  DistributionStatsRecord, EigenRecord, MetricsRecord, PredictionRecordsRecord as PredictionRecords, PredictionsRecord, ProgressRecord, RunConfig,
  RunEnvironment, RunStartRecord, RunSummary, TestNmeRecord, ValidationRecord,
} from './records';
import type { Provenance } from './provenance';

const FILES = {
  key: 'run-key.txt',
  config: 'config.json',
  env: 'env.json',
  starts: 'provenance.jsonl',
  progress: 'progress.json',
  summary: 'summary.json',
  testNme: 'test-nme.json',
  predictions: 'predictions.json',
  distributionStats: 'distribution-stats.json',
  records: 'prediction-records.bin',
  recordsFull: 'prediction-records-full.bin',
  metrics: 'metrics.jsonl',
  eigen: 'eigen.jsonl',
  checkpoint: 'checkpoint',
  best: 'best',
} as const;

/** The lock file of a run folder (runs/lock.ts); never copied with the run. */
export const LOCK_FILE = '.lock';

/** Takes the experiment and arm records themselves (experiment specs fit), so that callers cannot swap the names. */
export function runDirFor(resultsRoot: string, experiment: { name: string }, arm: { id: string }, seed: number): string {
  return path.join(resultsRoot, 'runs', experiment.name, `${arm.id}-s${seed}`);
}

/** A run is finished once its summary is written (the last file a run writes). */
export function isRunComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, FILES.summary));
}

/** Does `resultsRoot` hold at least one finished run of this experiment? */
export function hasFinishedRun(resultsRoot: string, experiment: string): boolean {
  const dir = path.join(resultsRoot, 'runs', experiment);
  return fs.existsSync(dir) && fs.readdirSync(dir).some((d) => isRunComplete(path.join(dir, d)));
}

/**
 * What a run writes before training: its key (for reuse by identical runs), its configuration and environment (the
 * last start's), and one more line of its start history (every start's provenance).
 */
export function writeRunStart(dir: string, start: { key: string; config: RunConfig; environment: RunEnvironment; record: RunStartRecord }): void {
  fs.mkdirSync(dir, { recursive: true });
  writeRunKey(dir, start.key);
  writeJsonAtomic(path.join(dir, FILES.config), start.config);
  writeJsonAtomic(path.join(dir, FILES.env), { ...start.environment, provenance: start.record.provenance });
  appendLine(path.join(dir, FILES.starts), JSON.stringify(start.record));
}

/** Every start of the run, oldest first ([] for runs recorded before the history existed). */
export function readRunStarts(dir: string): RunStartRecord[] {
  return readJsonl<RunStartRecord>(path.join(dir, FILES.starts));
}

/**
 * The provenance of the run's last start: what wrote its checkpoint and, for a finished run, its final segment. Runs
 * recorded before provenance existed give their env.json's commit and kernels (no source hash). Null: never started.
 */
export function readProvenance(dir: string): Provenance | null {
  const env = readIfPresent<RunEnvironment>(path.join(dir, FILES.env));
  if (!env) return null;
  if (env.provenance) return env.provenance;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    code: { commit: env.gitCommit ?? 'unknown', dirty: null, sourceHash: null },
    kernels: {
      backend: str(env.backend), threads: typeof env.threads === 'number' ? env.threads : 0,
      customKernels: Array.isArray(env.customKernels) ? (env.customKernels as string[]) : [], starLossKernels: str(env.starLossKernels), tfjs: str(env.tfjs),
    },
  };
}

/** Has the run ever started (a config written)? */
export function hasStarted(dir: string): boolean {
  return fs.existsSync(path.join(dir, FILES.config));
}

/**
 * Remove what training left in the folder (checkpoint, selected weights, logs, progress) so that the run trains from
 * step 0 without appending to an earlier attempt's logs. The start history, config and key stay.
 */
export function discardTrainingState(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const transient = new Set<string>([FILES.checkpoint, FILES.best, FILES.metrics, FILES.eigen, FILES.progress]);
  for (const name of fs.readdirSync(dir)) {
    // checkpoint/ and best/ are replaced through `<dir>.tmp-PID` / `<dir>.old-PID` folders (util/files.ts replaceDirAtomic).
    const base = name.replace(/\.(tmp|old)-\d+$/, '');
    if (transient.has(base)) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
  }
}

/** Has an attempt left training state behind (logs or weights)? */
export function hasTrainingState(dir: string): boolean {
  return [FILES.checkpoint, FILES.best, FILES.metrics, FILES.eigen, FILES.progress].some((f) => fs.existsSync(path.join(dir, f)));
}

export function readProgress(dir: string): ProgressRecord | null {
  return readIfPresent<ProgressRecord>(path.join(dir, FILES.progress));
}

/** The loss and validation lines of metrics.jsonl, in file order. */
export function readMetrics(dir: string): MetricsRecord[] {
  return readJsonl<MetricsRecord>(path.join(dir, FILES.metrics));
}

export function writeRunKey(dir: string, key: string): void {
  fs.writeFileSync(path.join(dir, FILES.key), key + '\n');
}

export function readRunKey(dir: string): string | null {
  const f = path.join(dir, FILES.key);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : null;
}

/**
 * What a run writes after its test evaluation; the summary goes last, so a run with a summary is complete. Returns
 * what the per-prediction records cost (see writePredictionRecords).
 */
export function writeRunResults(
  dir: string,
  r: { testNme: TestNmeRecord; predictions: PredictionsRecord; distributionStats: DistributionStatsRecord; records: PredictionRecords; summary: RunSummary },
  recordFaces = COMMITTED_RECORD_FACES,
): ReturnType<typeof writePredictionRecords> {
  writeJsonAtomic(path.join(dir, FILES.testNme), r.testNme);
  writeJsonAtomic(path.join(dir, FILES.predictions), r.predictions);
  writeJsonAtomic(path.join(dir, FILES.distributionStats), r.distributionStats);
  const written = writePredictionRecords(dir, r.records, recordFaces);
  writeJsonAtomic(path.join(dir, FILES.summary), r.summary);
  return written;
}

/** One line on what records were written (for logs). */
export function describeWrittenRecords(w: ReturnType<typeof writePredictionRecords>): string {
  const kb = (b: number) => `${(b / 1000).toFixed(0)} kB`;
  return `records: ${w.committed.faces} faces ${kb(w.committed.bytes)} (${path.basename(w.committed.file)}, committed)` +
    (w.full ? `, all ${w.full.faces} faces ${kb(w.full.bytes)} (${path.basename(w.full.file)}, local)` : '');
}

/**
 * Per-prediction records are written twice: `prediction-records.bin` holds the first COMMITTED_RECORD_FACES test
 * faces (committed with the run: the same faces for every run of a grid, so a whole grid's records stay small) and
 * `prediction-records-full.bin` every evaluated face (git-ignored; regenerated from the run's best/ checkpoint by
 * `star evaluate --checkpoint <run dir> --data synthetic`). Both float16, so the faces they share read back equal.
 * At 98 landmarks a soft-argmax run costs ≈ 12 bytes per face × landmark, ≈ 300 kB at 250 faces; argmax-decoded
 * runs add the μ − prediction offset (≈ 16 bytes, ≈ 400 kB).
 */
export const COMMITTED_RECORD_FACES = 250;

export interface WrittenRecords {
  file: string;
  faces: number;
  bytes: number;
}

/** Writes the committed subset and, when the records hold more faces, the full file (a stale full file is removed). */
export function writePredictionRecords(dir: string, records: PredictionRecords, committedFaces = COMMITTED_RECORD_FACES): { committed: WrittenRecords; full?: WrittenRecords } {
  const write = (file: string, r: PredictionRecords): WrittenRecords => {
    const bytes = encodeRecords(r);
    writeFileAtomic(file, bytes);
    return { file, faces: r.faces, bytes: bytes.length };
  };
  const fullFile = path.join(dir, FILES.recordsFull);
  const committed = write(path.join(dir, FILES.records), firstFaces(records, committedFaces));
  if (records.faces <= committedFaces) {
    fs.rmSync(fullFile, { force: true });
    return { committed };
  }
  return { committed, full: write(fullFile, records) };
}

/** Writes records to a file of the caller's choosing (e.g. beside an evaluation's JSON). */
export function writePredictionRecordsFile(file: string, records: PredictionRecords): WrittenRecords {
  const bytes = encodeRecords(records);
  writeFileAtomic(file, bytes);
  return { file, faces: records.faces, bytes: bytes.length };
}

export function readPredictionRecordsFile(file: string): PredictionRecords {
  const buf = fs.readFileSync(file);
  return decodeRecords(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), file);
}

/**
 * A run's records: 'committed' (default) the committed subset, the same on every clone; 'full' every evaluated face
 * (the committed file when it already holds them all). Null when the run has none.
 */
export function readPredictionRecords(dir: string, which: 'committed' | 'full' = 'committed'): PredictionRecords | null {
  const committed = path.join(dir, FILES.records);
  if (which === 'full' && fs.existsSync(path.join(dir, FILES.recordsFull))) return readPredictionRecordsFile(path.join(dir, FILES.recordsFull));
  if (!fs.existsSync(committed)) return null;
  const r = readPredictionRecordsFile(committed);
  if (which === 'full' && r.faces < r.totalFaces) return null;
  return r;
}

/** The run folder's file name of the committed records (for messages). */
export const RECORDS_FILE = FILES.records;

function readIfPresent<T>(file: string): T | null {
  return fs.existsSync(file) ? readJson<T>(file) : null;
}

export function readRunConfig(dir: string): RunConfig | null {
  return readIfPresent<RunConfig>(path.join(dir, FILES.config));
}

export function readSummary(dir: string): RunSummary | null {
  return readIfPresent<RunSummary>(path.join(dir, FILES.summary));
}

export function readTestNme(dir: string): TestNmeRecord | null {
  return readIfPresent<TestNmeRecord>(path.join(dir, FILES.testNme));
}

export function readDistributionStats(dir: string): DistributionStatsRecord {
  return readIfPresent<DistributionStatsRecord>(path.join(dir, FILES.distributionStats));
}

/** JSON-lines file -> records; a bad line is an error naming file and line. Missing file -> []. */
export function readJsonl<T>(file: string): T[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    try {
      return [JSON.parse(line) as T];
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message})`);
    }
  });
}

/** The validations logged during training, in step order. */
export function readValidations(dir: string): ValidationRecord[] {
  return readJsonl<MetricsRecord>(path.join(dir, FILES.metrics)).filter((r): r is ValidationRecord => 'val' in r && r.val !== undefined);
}

/** Eigenvalue trajectory of a run: steps and the value of `key` (e.g. 'contour.lambdaMax', 'all.lambdaMin'). */
export function eigenTrajectory(dir: string, key: string): { step: number[]; value: number[] } {
  const rows = readJsonl<EigenRecord>(path.join(dir, FILES.eigen)).filter((r) => typeof r[key] === 'number' && Number.isFinite(r[key]));
  return { step: rows.map((r) => r.step), value: rows.map((r) => r[key]) };
}

/** Last value of an eigen.jsonl key (NaN when absent). */
export function finalEigen(dir: string, key: string): number {
  const t = eigenTrajectory(dir, key);
  return t.value.length ? t.value[t.value.length - 1] : NaN;
}

/** The trainer's part of a run folder: resumable state, the validation-selected weights and two append-only logs. */
export interface TrainingLog {
  checkpointDir: string;
  bestDir: string;
  /** Named in messages (e.g. where to look when training diverges). */
  metricsFile: string;
  appendMetrics(record: MetricsRecord): void;
  appendEigen(record: EigenRecord): void;
  /** Where training is (progress.json, replaced atomically). */
  writeProgress(record: ProgressRecord): void;
  /**
   * Before training from `step` (0 for a fresh start): drop the records of later steps from both logs, which a run
   * killed after its last checkpoint wrote and will write again, and a last line cut short by the kill.
   */
  truncateAfter(step: number): void;
}

export function trainingLog(dir: string): TrainingLog {
  const metricsFile = path.join(dir, FILES.metrics);
  const eigenFile = path.join(dir, FILES.eigen);
  return {
    checkpointDir: path.join(dir, FILES.checkpoint),
    bestDir: path.join(dir, FILES.best),
    metricsFile,
    appendMetrics: (r) => appendLine(metricsFile, JSON.stringify(r)),
    appendEigen: (r) => appendLine(eigenFile, JSON.stringify(r)),
    writeProgress: (r) => writeJsonAtomic(path.join(dir, FILES.progress), r),
    truncateAfter: (step) => {
      for (const file of [metricsFile, eigenFile]) truncateJsonl(file, step);
    },
  };
}

/** Keep the records of a step-keyed JSON-lines log up to `step`; an unreadable last line is dropped, others are errors. */
function truncateJsonl(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const before = fs.readFileSync(file, 'utf8');
  const lines = before.split('\n').map((text, i) => ({ text, at: i + 1 })).filter((l) => l.text.trim() !== '');
  const keep: string[] = [];
  lines.forEach(({ text, at }, k) => {
    let r: { step?: unknown };
    try {
      r = JSON.parse(text) as { step?: unknown };
    } catch (e) {
      if (k === lines.length - 1) return;
      throw new Error(`${file}:${at}: not JSON (${(e as Error).message})`);
    }
    if (typeof r.step !== 'number') throw new Error(`${file}:${at}: record without a numeric "step"`);
    if (r.step <= step) keep.push(text);
  });
  const after = keep.map((l) => l + '\n').join('');
  if (after !== before) writeFileAtomic(file, after);
}

/** A finished run under `resultsRoot` whose key is `key`, other than `except`; null when there is none. */
export function findFinishedRunByKey(resultsRoot: string, key: string, except: string, accept: (dir: string) => boolean = () => true): string | null {
  const runsRoot = path.join(resultsRoot, 'runs');
  if (!fs.existsSync(runsRoot)) return null;
  for (const exp of fs.readdirSync(runsRoot)) {
    const expDir = path.join(runsRoot, exp);
    if (!fs.statSync(expDir).isDirectory()) continue;
    for (const run of fs.readdirSync(expDir)) {
      const dir = path.join(expDir, run);
      if (dir === except) continue;
      if (readRunKey(dir) === key && isRunComplete(dir) && accept(dir)) return dir;
    }
  }
  return null;
}

/**
 * Replace `target` with a copy of the finished run `source` (lock excluded), its summary relabelled as the target's
 * experiment and arm, and `reusedFrom` naming the source relative to `resultsRoot`.
 */
export function copyRun(resultsRoot: string, source: string, target: string, as: Pick<RunSummary, 'experiment' | 'arm' | 'armLabel'>): void {
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.cpSync(source, target, { recursive: true, filter: (src) => path.basename(src) !== LOCK_FILE });
  const summaryFile = path.join(target, FILES.summary);
  const summary = readJson<RunSummary>(summaryFile);
  writeJsonAtomic(summaryFile, { ...summary, experiment: as.experiment, arm: as.arm, armLabel: as.armLabel, reusedFrom: path.relative(resultsRoot, source) });
}
