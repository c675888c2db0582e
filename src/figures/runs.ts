/**
 * Where a notebook's numbers come from, and readers for the per-run files (metrics.jsonl, eigen.jsonl,
 * distribution-stats.json, test-nme.json). Policy (one place, so every notebook says the same thing):
 * 1. committed `full` results (results/runs/<experiment>/) when any run of the experiment is there;
 * 2. otherwise the current profile's results, training the missing runs first in smoke/quick (seconds in smoke);
 * 3. in `full` (or with STAR_NOTEBOOK_TRAIN=never) nothing is trained: a notebook renders what exists and lists
 *    the missing runs, because a full grid takes hours and belongs to `npm run star -- experiment ...`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { currentProfile, profileLabel, resultsDir, type Profile } from '../config/profile';
import { runExperiment, summarise, type ExperimentTables } from '../experiments/runner';
import { runDirFor, isRunComplete } from '../experiments/run';
import { scaleSpec, type ExperimentSpec } from '../experiments/spec';
import type { LandmarkDistributionStats } from '../eval/evaluate';

export interface ExperimentData {
  /** The spec scaled to the profile that produced the data. */
  spec: ExperimentSpec;
  /** Profile whose runs are shown (may differ from the current one: committed full results win). */
  profile: Profile;
  resultsRoot: string;
  /** How the data got here, for the notebook's provenance line. */
  source: string;
  /** Column/legend label for every number: "ours, synthetic benchmark (<profile>)". */
  label: string;
  tables: ExperimentTables;
  /** Runs (`<arm>-s<seed>`) of the requested arms that do not exist. */
  missing: string[];
}

export function oursLabel(profile: Profile): string {
  return `ours, synthetic benchmark (${profile})`;
}

/** Does `root` hold at least one finished run of this experiment? */
export function hasRuns(root: string, experiment: string): boolean {
  const dir = path.join(root, 'runs', experiment);
  return fs.existsSync(dir) && fs.readdirSync(dir).some((d) => isRunComplete(path.join(dir, d)));
}

export interface LoadOptions {
  /** Profile of this notebook session. Default currentProfile(). */
  profile?: Profile;
  /** Only these arms (others are neither trained nor reported missing). */
  only?: string[];
  /** 'missing' trains absent runs (default in smoke/quick); 'never' only reads (default in full). Env STAR_NOTEBOOK_TRAIN. */
  train?: 'missing' | 'never';
  /** Committed full results folder. Default resultsDir('full'). */
  fullRoot?: string;
  /** This profile's results folder. Default resultsDir(profile). */
  resultsRoot?: string;
}

export async function loadOrRunExperiment(spec: ExperimentSpec, options: LoadOptions = {}): Promise<ExperimentData> {
  const profile = options.profile ?? currentProfile();
  const fullRoot = options.fullRoot ?? resultsDir('full');
  const envTrain = process.env.STAR_NOTEBOOK_TRAIN;
  if (envTrain !== undefined && envTrain !== 'missing' && envTrain !== 'never') throw new Error(`STAR_NOTEBOOK_TRAIN="${envTrain}": expected "missing" or "never"`);
  const train = options.train ?? (envTrain as 'missing' | 'never' | undefined) ?? (profile === 'full' ? 'never' : 'missing');
  const only = options.only;
  if (only) for (const a of only) if (!spec.arms.some((x) => x.id === a)) throw new Error(`loadOrRunExperiment(${spec.name}): no arm "${a}" (arms: ${spec.arms.map((x) => x.id).join(', ')})`);
  const keep = (m: string) => !only || only.some((a) => m.startsWith(`${a}-s`));
  let profileUsed: Profile;
  let root: string;
  let tables: ExperimentTables;
  let source: string;
  // summarise() cannot tabulate an arm without any finished run (its NaN ms/step is rejected by writeTable), so tables
  // are built over the arms that have runs; arms without runs are reported as missing here.
  const withRuns = (r: string, p: Profile) => restrictSpec(spec, spec.arms.filter((a) => scaleSpec(spec, p).seeds.some((s) => isRunComplete(runDirFor(r, scaleSpec(spec, p), a, s)))).map((a) => a.id));
  const readOnly = (r: string, p: Profile): ExperimentTables => {
    const sub = withRuns(r, p);
    return sub.arms.length ? summarise(scaleSpec(sub, p), p, r) : emptyTables(scaleSpec(spec, p), p);
  };
  if (hasRuns(fullRoot, spec.name)) {
    profileUsed = 'full';
    root = fullRoot;
    tables = readOnly(root, 'full');
    source = `committed full results (${path.relative(process.cwd(), path.join(root, 'runs', spec.name)) || '.'})`;
  } else {
    profileUsed = profile;
    root = options.resultsRoot ?? resultsDir(profile);
    if (train === 'missing') {
      tables = await runExperiment(only ? restrictSpec(spec, only) : spec, profile, { resultsRoot: root });
      source = `${profile} runs in ${path.relative(process.cwd(), path.join(root, 'runs', spec.name))} (missing runs trained now)`;
    } else {
      tables = readOnly(root, profile);
      source = `${profile} runs in ${path.relative(process.cwd(), path.join(root, 'runs', spec.name))} (read only, nothing trained)`;
    }
  }
  const scaled = scaleSpec(spec, profileUsed);
  const missing = scaled.arms.flatMap((a) => scaled.seeds.filter((s) => !isRunComplete(runDirFor(root, scaled, a, s))).map((s) => `${a.id}-s${s}`));
  return { spec: scaled, profile: profileUsed, resultsRoot: root, source, label: oursLabel(profileUsed), tables, missing: missing.filter(keep) };
}

/** The spec with only the given arms (and the comparisons among them). */
export function restrictSpec(spec: ExperimentSpec, armIds: string[]): ExperimentSpec {
  return { ...spec, arms: spec.arms.filter((a) => armIds.includes(a.id)), comparisons: spec.comparisons.filter(([a, b]) => armIds.includes(a) && armIds.includes(b)) };
}

function emptyTables(spec: ExperimentSpec, profile: Profile): ExperimentTables {
  return { experiment: spec.name, title: spec.title, question: spec.question, profile, label: profileLabel(profile), arms: [], comparisons: [], missing: [] };
}

/** Markdown line for a notebook: data source and missing runs (said plainly, never hidden). */
export function provenanceMarkdown(d: ExperimentData): string {
  const miss = d.missing.length ? `\n\n**Missing runs (${d.missing.length}):** ${d.missing.join(', ')} — numbers below use only the runs that exist.` : '';
  return `**Data:** ${d.label}; ${d.source}.${miss}`;
}

/** Finished run folders of one arm, sorted by seed. */
export function armRunDirs(d: ExperimentData, armId: string): string[] {
  const arm = d.spec.arms.find((a) => a.id === armId);
  if (!arm) throw new Error(`${d.spec.name}: no arm "${armId}"`);
  return d.spec.seeds.map((s) => runDirFor(d.resultsRoot, d.spec, arm, s)).filter(isRunComplete);
}

/** JSON-lines file -> objects; a bad line is an error naming file and line. Missing file -> []. */
export function readJsonl<T = Record<string, unknown>>(file: string): T[] {
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

/** Eigenvalue trajectory of a run: steps and the value of `key` (e.g. 'contour.lambdaMax', 'all.lambdaMin'). */
export function eigenTrajectory(runDir: string, key: string): { step: number[]; value: number[] } {
  const rows = readJsonl<Record<string, number>>(path.join(runDir, 'eigen.jsonl')).filter((r) => typeof r[key] === 'number' && Number.isFinite(r[key]));
  return { step: rows.map((r) => r.step), value: rows.map((r) => r[key]) };
}

/** Validation metrics logged during training. */
export function validationCurve(runDir: string): { step: number; nme: number; fr: number; auc: number }[] {
  return readJsonl<{ step: number; val?: { nme: number; fr: number; auc: number } }>(path.join(runDir, 'metrics.jsonl'))
    .filter((r) => r.val)
    .map((r) => ({ step: r.step, ...r.val! }));
}

/** Last value of an eigen.jsonl key (NaN when absent). */
export function finalEigen(runDir: string, key: string): number {
  const t = eigenTrajectory(runDir, key);
  return t.value.length ? t.value[t.value.length - 1] : NaN;
}

export function readDistributionStats(runDir: string): LandmarkDistributionStats | null {
  const f = path.join(runDir, 'distribution-stats.json');
  if (!fs.existsSync(f)) return null;
  return JSON.parse(fs.readFileSync(f, 'utf8')) as LandmarkDistributionStats | null;
}

export function readTestNme(runDir: string): { ids: string[]; nme: number[]; nmeClean?: number[] } | null {
  const f = path.join(runDir, 'test-nme.json');
  if (!fs.existsSync(f)) return null;
  return JSON.parse(fs.readFileSync(f, 'utf8'));
}

/** Mean and sample std of a list (std 0 for one value; NaN mean for none). */
export function meanStd(xs: number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  if (!n) return { mean: NaN, std: NaN, n };
  const m = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1)) : 0;
  return { mean: m, std: sd, n };
}

/** Figure/table export base path: `<resultsDir>/figures/<notebook>-<name>` (and tables/ for tables). */
export function exportBase(notebook: string, name: string, kind: 'figures' | 'tables' = 'figures', profile: Profile = currentProfile()): string {
  return path.join(resultsDir(profile), kind, `${notebook}-${name}`);
}
