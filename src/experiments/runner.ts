/**
 * Runs an experiment grid: every (arm, seed) in a fixed order, skipping finished runs and resuming interrupted ones,
 * then writes the summary tables (mean ± std over seeds, paired differences with 95% intervals) as JSON, CSV and
 * Markdown. Tables are pure functions of the run folders, so they can be rebuilt without retraining.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isRunComplete, reuseEquivalentRun, runDirFor, runOne, type RunSummary, type RunOptions } from './run';
import { scaleSpec, validateSpec, type ExperimentSpec } from './spec';
import { mean, pairedDifference, std } from './stats';
import { readJson, writeJsonAtomic } from '../util/files';
import { writeTable } from '../report/table';
import { profileLabel, type Profile } from '../config/profile';

export interface ExperimentTables {
  experiment: string;
  title: string;
  question: string;
  profile: Profile;
  label: string;
  arms: ArmRow[];
  comparisons: ComparisonRow[];
  missing: string[];
  /** True when a run was stopped by SIGINT/SIGTERM: callers running several experiments must stop too. */
  interrupted?: boolean;
}

export interface ArmRow {
  arm: string;
  label: string;
  loss: string;
  seeds: number;
  nme: string;
  fr: string;
  auc: string;
  nmeClean: string;
  decoder: string;
  /** Clean-truth NME with soft-argmax decoding, for every method. */
  nmeCleanSoftArgmax: string;
  nmeMean: number;
  nmeCleanMean: number | null;
  msPerStep: number;
}

export interface ComparisonRow {
  baseline: string;
  arm: string;
  metric: string;
  meanDiff: number;
  ci95: string;
  n: number;
  verdict: string;
}

const pct = (v: number) => (100 * v).toFixed(2);
const fmt = (xs: number[], scale = 100, digits = 2) =>
  xs.length === 0 ? '–' : xs.length === 1 ? (scale * xs[0]).toFixed(digits) : `${(scale * mean(xs)).toFixed(digits)} ± ${(scale * std(xs)).toFixed(digits)}`;

export async function runExperiment(
  specIn: ExperimentSpec, profile: Profile, opts: Omit<RunOptions, 'profile'> & { only?: string[]; seeds?: number[] },
): Promise<ExperimentTables> {
  const spec = validateSpec(scaleSpec(specIn, profile), specIn.name);
  const arms = opts.only ? spec.arms.filter((a) => opts.only!.includes(a.id)) : spec.arms;
  if (opts.only && arms.length === 0) throw new Error(`--only ${opts.only.join(',')}: no such arm in ${spec.name} (arms: ${spec.arms.map((a) => a.id).join(', ')})`);
  // Seed-major order: an interrupted grid has every arm at the first seeds rather than some arms at every seed.
  const seeds = opts.seeds ? spec.seeds.filter((s) => opts.seeds!.includes(s)) : spec.seeds;
  if (opts.seeds && seeds.length === 0) throw new Error(`--seeds ${opts.seeds.join(',')}: none of them is in ${spec.name}'s seeds (${spec.seeds.join(', ')})`);
  const todo = seeds.flatMap((seed) => arms.map((arm) => ({ arm, seed })));
  let k = 0;
  let interrupted = false;
  for (const { arm, seed } of todo) {
    k += 1;
    const dir = runDirFor(opts.resultsRoot, spec, arm, seed);
    if (isRunComplete(dir)) {
      console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: done already (${dir})`);
      continue;
    }
    const reused = reuseEquivalentRun(opts.resultsRoot, spec, arm, seed);
    if (reused) {
      console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: identical run found in ${reused}; reused`);
      continue;
    }
    const lock = acquireRunLock(dir);
    if (!lock.ok) {
      console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: being trained by process ${lock.holder}; skipped`);
      continue;
    }
    console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: training (${arm.label})`);
    let r: Awaited<ReturnType<typeof runOne>>;
    try {
      r = await runOne(spec, arm, seed, { ...opts, profile });
    } finally {
      lock.release();
    }
    if (!r) {
      console.error(`${spec.name}: interrupted; run the same command again to resume`);
      interrupted = true;
      break;
    }
    console.error(`[${k}/${todo.length}] ${spec.name}/${arm.id} s${seed}: test NME ${pct(r.test.labels.nme)}% (labels)` +
      (r.test.clean ? `, ${pct(r.test.clean.nme)}% (clean truth)` : '') + `, ${r.msPerStep.toFixed(0)} ms/step, ${r.wallSeconds.toFixed(0)} s`);
  }
  const tables = summarise(spec, profile, opts.resultsRoot);
  return interrupted ? { ...tables, interrupted } : tables;
}

/**
 * One process per run: `<run dir>/.lock` holds the trainer's pid, so several `star experiment` processes can work
 * through the same grid in parallel (each skips runs another live process holds). A lock whose process is gone is stale
 * and taken over (the run resumes from its checkpoint).
 */
export interface RunLock {
  /** False when another live process holds the run (then `holder` is its pid and release does nothing). */
  ok: boolean;
  holder?: number;
  release(): void;
}

// A plain interface rather than a union discriminated by `ok`: tslab's compiler (non-strict) does not narrow on it.
export function acquireRunLock(dir: string): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, '.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { ok: true, release: () => fs.rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) return { ok: false, holder, release: () => {} };
      fs.rmSync(file, { force: true }); // stale (or our own from an earlier crash in this process)
    }
  }
  throw new Error(`${file}: could not take the run lock`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function loadSummaries(spec: ExperimentSpec, resultsRoot: string): Map<string, RunSummary[]> {
  const out = new Map<string, RunSummary[]>();
  for (const arm of spec.arms) {
    const runs: RunSummary[] = [];
    for (const seed of spec.seeds) {
      const f = path.join(runDirFor(resultsRoot, spec, arm, seed), 'summary.json');
      if (fs.existsSync(f)) runs.push(readJson<RunSummary>(f));
    }
    out.set(arm.id, runs);
  }
  return out;
}

/** Build the tables from the run folders and write them to `<resultsRoot>/tables/<experiment>.{json,csv,md}`. */
export function summarise(spec: ExperimentSpec, profile: Profile, resultsRoot: string): ExperimentTables {
  const runs = loadSummaries(spec, resultsRoot);
  const missing: string[] = [];
  const armRows: ArmRow[] = spec.arms.map((arm) => {
    const rs = runs.get(arm.id) ?? [];
    for (const seed of spec.seeds) if (!rs.some((r) => r.seed === seed)) missing.push(`${arm.id}-s${seed}`);
    const nmes = rs.map((r) => r.test.labels.nme);
    const clean = rs.filter((r) => r.test.clean).map((r) => r.test.clean!.nme);
    return {
      arm: arm.id, label: arm.label, loss: rs[0]?.loss ?? '', seeds: rs.length,
      nme: fmt(nmes), fr: fmt(rs.map((r) => r.test.labels.fr)), auc: fmt(rs.map((r) => r.test.labels.auc), 1, 4), nmeClean: fmt(clean),
      decoder: rs[0]?.decoder ?? '', nmeCleanSoftArgmax: fmt(rs.filter((r) => r.testSoftArgmax?.clean).map((r) => r.testSoftArgmax.clean!.nme)),
      nmeMean: nmes.length ? mean(nmes) : NaN, nmeCleanMean: clean.length ? mean(clean) : null,
      msPerStep: rs.length ? mean(rs.map((r) => r.msPerStep)) : NaN,
    };
  });
  const compRows: ComparisonRow[] = [];
  for (const [a, b] of spec.comparisons) {
    const ra = runs.get(a) ?? [];
    const rb = runs.get(b) ?? [];
    const seeds = ra.map((r) => r.seed).filter((s) => rb.some((r) => r.seed === s));
    if (seeds.length === 0) continue;
    const pick = (rs: RunSummary[], f: (r: RunSummary) => number | undefined) => seeds.map((s) => f(rs.find((r) => r.seed === s)!) ?? NaN);
    for (const [metric, f] of [
      ['NME % (clean truth)', (r: RunSummary) => r.test.clean?.nme],
      ['NME % (noisy labels)', (r: RunSummary) => r.test.labels.nme],
    ] as [string, (r: RunSummary) => number | undefined][]) {
      const va = pick(ra, f);
      const vb = pick(rb, f);
      if (va.some(Number.isNaN) || vb.some(Number.isNaN)) continue;
      const d = pairedDifference(va, vb);
      compRows.push({
        baseline: a, arm: b, metric, meanDiff: Number((100 * d.mean).toFixed(3)),
        ci95: Number.isNaN(d.lo) ? `n/a (${d.n} seed)` : `[${(100 * d.lo).toFixed(3)}, ${(100 * d.hi).toFixed(3)}]`,
        n: d.n,
        verdict: d.verdict === 'b lower' ? `${b} lower (better)` : d.verdict === 'b higher' ? `${b} higher (worse)` : 'no detectable difference',
      });
    }
  }
  const tables: ExperimentTables = {
    experiment: spec.name, title: spec.title, question: spec.question, profile, label: profileLabel(profile),
    arms: armRows, comparisons: compRows, missing,
  };
  const dir = path.join(resultsRoot, 'tables');
  writeJsonAtomic(path.join(dir, `${spec.name}.json`), tables);
  const note = `${spec.title} — ${profileLabel(profile)}; NME in % of the inter-ocular distance (WFLW-98 layout), mean ± std over seeds.`;
  writeTable(armRows.map(({ nmeMean, nmeCleanMean, ...r }) => ({ ...r, msPerStep: Number.isFinite(r.msPerStep) ? Math.round(r.msPerStep) : null })), path.join(dir, `${spec.name}`), { title: note });
  if (compRows.length) writeTable(compRows as unknown as Record<string, unknown>[], path.join(dir, `${spec.name}-paired`), { title: `${spec.title}: paired differences (arm − baseline, NME %), 95% t interval over seeds — ${profileLabel(profile)}` });
  return tables;
}
