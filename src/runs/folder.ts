/**
 * The run folder `<results>/runs/<experiment>/<arm>-s<seed>/` and its files: the one module that knows their names and
 * formats. Writers take the typed records of records.ts, readers return them (null or [] when a file is absent).
 * The trainer keeps its checkpoints and appends its logs through `trainingLog`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { appendLine, readJson, writeFileAtomic, writeJsonAtomic } from '../util/files';
import type {
  DistributionStatsRecord, EigenRecord, MetricsRecord, PredictionsRecord, RunConfig, RunEnvironment, RunSummary, TestNmeRecord, ValidationRecord,
} from './records';

const FILES = {
  key: 'run-key.txt',
  config: 'config.json',
  env: 'env.json',
  summary: 'summary.json',
  testNme: 'test-nme.json',
  predictions: 'predictions.json',
  distributionStats: 'distribution-stats.json',
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

/** What a run writes before training: its key (for reuse by identical runs), its configuration and environment. */
export function writeRunStart(dir: string, start: { key: string; config: RunConfig; environment: RunEnvironment }): void {
  fs.mkdirSync(dir, { recursive: true });
  writeRunKey(dir, start.key);
  writeJsonAtomic(path.join(dir, FILES.config), start.config);
  writeJsonAtomic(path.join(dir, FILES.env), start.environment);
}

export function writeRunKey(dir: string, key: string): void {
  fs.writeFileSync(path.join(dir, FILES.key), key + '\n');
}

export function readRunKey(dir: string): string | null {
  const f = path.join(dir, FILES.key);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim() : null;
}

/** What a run writes after its test evaluation; the summary goes last, so a run with a summary is complete. */
export function writeRunResults(dir: string, r: { testNme: TestNmeRecord; predictions: PredictionsRecord; distributionStats: DistributionStatsRecord; summary: RunSummary }): void {
  writeJsonAtomic(path.join(dir, FILES.testNme), r.testNme);
  writeJsonAtomic(path.join(dir, FILES.predictions), r.predictions);
  writeJsonAtomic(path.join(dir, FILES.distributionStats), r.distributionStats);
  writeJsonAtomic(path.join(dir, FILES.summary), r.summary);
}

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
export function findFinishedRunByKey(resultsRoot: string, key: string, except: string): string | null {
  const runsRoot = path.join(resultsRoot, 'runs');
  if (!fs.existsSync(runsRoot)) return null;
  for (const exp of fs.readdirSync(runsRoot)) {
    const expDir = path.join(runsRoot, exp);
    if (!fs.statSync(expDir).isDirectory()) continue;
    for (const run of fs.readdirSync(expDir)) {
      const dir = path.join(expDir, run);
      if (dir === except) continue;
      if (readRunKey(dir) === key && isRunComplete(dir)) return dir;
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
