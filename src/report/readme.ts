/**
 * The README's numbers, generated from files (never typed by hand): each block between
 * `<!-- generated:NAME -->` and `<!-- end generated:NAME -->` is rebuilt from results/ by `npm run readme`, and
 * test/readme.test.ts fails when the committed README differs from what the files say.
 *
 * Blocks: `regime` (the pre-registered grid and its pilot), `original-grid` (the first grid, kept for the record),
 * `quick` (the last recorded main job), `speed` (the last committed training-step benchmark).
 */
import * as fs from 'fs';
import * as path from 'path';
import { intervalText, metricText, type ComparisonRow, type ExperimentTables } from './experiment-tables';
import { toMarkdown, type Row } from './table';
import { flatnessChecks, LENGTH_STAGES, lengthChecks, manipulationCheckAt, manipulationVerdict } from './pilot';
import { runPace, trainingSeconds, type RunPace } from '../runs/pace';
import type { GridAnalysis } from '../runs/aggregate';
import { gridPace, type RunStatus } from '../experiments/grid-status';
import { primaryFamilyText, primaryRows, primarySentence, secondaryPlan, secondaryPlanText, verdictsFrom } from './regime';

export interface ReadmeSources {
  /** The committed results folder (results/). */
  resultsRoot: string;
}

const readJson = <T>(file: string): T | null => (fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : null);

function tablesOf(root: string, name: string): ExperimentTables | null {
  return readJson<ExperimentTables>(path.join(root, 'tables', `${name}.json`));
}

const cleanRows = (t: ExperimentTables, family?: ComparisonRow['family']) =>
  t.comparisons.filter((c) => c.metric.includes('clean') && (!family || c.family === family));

function comparisonLine(c: ComparisonRow): string {
  const sign = c.meanDiff > 0 ? '+' : '';
  return `${c.comparison}: ${sign}${c.meanDiff.toFixed(2)} (Holm interval ${intervalText(c.intervalHolm) ?? 'n/a'}, n = ${c.n}) — ${c.verdict}`;
}

/** The grid's runs that exist vs the runs it declares (status line for a grid still running). */
function runCount(root: string, name: string): { done: number; started: number } {
  const dir = path.join(root, 'runs', name);
  if (!fs.existsSync(dir)) return { done: 0, started: 0 };
  const runs = fs.readdirSync(dir).filter((d) => fs.statSync(path.join(dir, d)).isDirectory());
  return { done: runs.filter((d) => fs.existsSync(path.join(dir, d, 'summary.json'))).length, started: runs.length };
}

/**
 * The pilot's run-length checks, one sentence per stage that has a pair with common finished seeds: "8,000 vs 20,000
 * steps: A 7.64% at step 8,000 vs 6.91% at step 20,000 (+10.68%, 2 seeds: beyond 2%); …". Null when none has.
 */
export function runLengthLine(root: string, labels: Record<string, string> = {}): string | null {
  const steps = (n: number) => n.toLocaleString('en');
  const stages = LENGTH_STAGES.flatMap((stage) => {
    const parts = lengthChecks(root, stage).flatMap(({ arm, check: c }) => (c === null ? [] : [
      `${labels[arm] ?? arm} ${(100 * c.best).toFixed(2)}% at step ${steps(c.bestStep)} vs ${(100 * c.bestLong).toFixed(2)}% ` +
        `at step ${steps(c.bestLongStep)} (${c.relativeGap >= 0 ? '+' : ''}${(100 * c.relativeGap).toFixed(2)}%, ` +
        `${c.seeds} seed${c.seeds === 1 ? '' : 's'}: ${c.converged ? 'within 2%' : 'beyond 2%'})`,
    ]));
    return parts.length ? [`${steps(stage.steps[0])} vs ${steps(stage.steps[1])} steps: ${parts.join('; ')}`] : [];
  });
  return stages.length ? stages.join('. ') : null;
}

/**
 * The grid's budget from the pilot's runs of the grid's length (their measured pace: two single-threaded workers
 * sharing the machine, validation included): "≈ 1.0 h per run; stage 1 (64 runs) ≈ 32 h on 2 workers; …".
 */
export function budgetLine(root: string, grid: { steps: number; runs: number; primaryRuns: number; workers: number }): string | null {
  // The pilot's long runs: 20,000 steps (regime-pilot *-long) and 40,000 (regime-length *-40k), same code and setting.
  const sources: Array<[string, RegExp]> = [['regime-pilot', /-long-s\d+$/], ['regime-length', /-40k-s\d+$/]];
  const paces = sources.flatMap(([experiment, re]) => {
    const dir = path.join(root, 'runs', experiment);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((d) => re.test(d) && fs.existsSync(path.join(dir, d, 'summary.json'))).sort()
      .map((d) => runPace(path.join(dir, d))).filter((p): p is RunPace => p !== null);
  });
  if (paces.length === 0) return null;
  const sPerStep = paces.reduce((s, p) => s + p.secondsPerStep, 0) / paces.length;
  const ms = paces.map((p) => p.medianMsPerStep).sort((a, b) => a - b);
  const median = ms.length % 2 ? ms[ms.length >> 1] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
  const each = paces.map((p) => p.secondsPerStep);
  const runHours = (sPerStep * grid.steps) / 3600;
  const wall = (runs: number) => { const h = (runs * runHours) / grid.workers; return `${h.toFixed(h < 10 ? 1 : 0)} h`; };
  return `Budget, from the pilot's ${paces.length} finished runs of 20,000 and 40,000 steps (two single-threaded workers sharing the 2-core machine; ` +
    `median ${median.toFixed(0)} ms per step, ${sPerStep.toFixed(3)} s per step with validation, ${Math.min(...each).toFixed(3)}–${Math.max(...each).toFixed(3)} ` +
    `across runs and machines): ${runHours.toFixed(2)} h per ` +
    `${grid.steps.toLocaleString('en')}-step run; stage 1 (${grid.runs} runs) ≈ ${wall(grid.runs)} on ${grid.workers} workers, its primary ` +
    `arms alone (${grid.primaryRuns} runs) ≈ ${wall(grid.primaryRuns)}.`;
}

/**
 * The grid's own pace, from its finished runs (each run's steps × its pace over every segment, validation included):
 * the training time spent so far and what the rest of stage 1's primary runs need, extrapolated as `star experiment
 * --status` does (gridPace: each arm's mean, the grid's mean for an arm with none finished). Only committed, finished
 * runs count — not partly trained checkpoints nor running runs — so the line is the same on every clone and errs long.
 * Null before the first run finishes.
 */
export function gridPaceLine(root: string, grid: { experiment: string; primaryArms: readonly string[]; seeds: number; workers: number; status: string }): string | null {
  const dir = path.join(root, 'runs', grid.experiment);
  if (!fs.existsSync(dir)) return null;
  const finished: RunStatus[] = fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'summary.json'))).sort().flatMap((d) => {
    const m = /^(.*)-s(\d+)$/.exec(d);
    const summary = readJson<{ steps: number; msPerStep?: number; reusedFrom?: string }>(path.join(dir, d, 'summary.json'));
    // A run copied from another experiment cost this grid nothing (0 s, left out of the means, as in --status).
    const seconds = summary ? (summary.reusedFrom ? 0 : trainingSeconds(path.join(dir, d), summary)) : null;
    return m && seconds !== null ? [{ run: d, arm: m[1], seed: Number(m[2]), state: 'done' as const, detail: '', trainedSeconds: seconds }] : [];
  });
  const unfinished: RunStatus[] = grid.primaryArms.flatMap((arm) => Array.from({ length: grid.seeds }, (_, i) => i + 1)
    .filter((seed) => !finished.some((r) => r.arm === arm && r.seed === seed))
    .map((seed) => ({ run: `${arm}-s${seed}`, arm, seed, state: 'missing' as const, detail: '' })));
  const pace = gridPace([...finished, ...unfinished], 1, () => 1);
  if (!pace) return null;
  const hours = finished.filter((r) => r.trainedSeconds! > 0).map((r) => r.trainedSeconds! / 3600);
  const left = unfinished.length;
  const h = (x: number) => `${x.toFixed(x < 10 ? 1 : 0)} h`;
  return `Pace of the grid's ${hours.length} finished run${hours.length === 1 ? '' : 's'} (steps × each run's pace over all its segments, validation ` +
    `included; ${grid.workers} single-threaded workers sharing the machine): ${h(pace.trainedSeconds / 3600)} of training in all, ` +
    `${Math.min(...hours).toFixed(2)}–${Math.max(...hours).toFixed(2)} h per run; the ${left} primary stage-1 run${left === 1 ? '' : 's'} not finished ` +
    `need ≈ ${h(pace.remainingSeconds / 3600 / grid.workers)} on ${grid.workers} workers at each arm's mean pace (partly trained checkpoints not ` +
    `counted: \`--status\` subtracts them). Where each run stands: \`${grid.status}\`.`;
}

export interface RegimeBlockOptions {
  /** The grid's length and primary runs, for the budget line from the pilot's pace. */
  budget?: { steps: number; primaryRuns: number };
  /** The flatness check of a grid no longer pilot certifies. */
  flatness?: { arms: readonly string[]; rule: { upToFraction: number; tolerance: number } };
  /**
   * The grid's tables computed from its committed runs by the caller (scripts/readme.ts), all seeds and the first
   * stage's alone, with the analysis they follow; without them, the tables file `results/tables/regime.json` and no
   * stage status. From the runs, the README cannot disagree with them because a notebook or `star tables` rewrote the
   * file.
   */
  grid?: { tables: ExperimentTables | null; firstLook: ExperimentTables | null; analysis: GridAnalysis };
  /** The grid's primary arms and stage-1 seeds, for its pace line. */
  pace?: Parameters<typeof gridPaceLine>[1];
}

export function regimeBlock(
  src: ReadmeSources,
  declaredRuns: { pilot: number; lengthCheck?: number; grid: number; gridAll?: number },
  opts: RegimeBlockOptions = {},
): string {
  const { budget, flatness } = opts;
  const lines: string[] = [];
  const pilot = tablesOf(src.resultsRoot, 'regime-pilot');
  const pc = runCount(src.resultsRoot, 'regime-pilot');
  const lc = runCount(src.resultsRoot, 'regime-length');
  const second = declaredRuns.lengthCheck === undefined ? ''
    : `; its second run-length check, \`regime-length\` (40,000 steps), ${lc.done} of ${declaredRuns.lengthCheck}`;
  lines.push(`**Pilot** (\`regime-pilot\`, ${pc.done} of ${declaredRuns.pilot} runs finished${second}; \`results/tables/regime-pilot.md\`${second ? ', \`regime-length.md\`' : ''}):`);
  // The second run-length check's finished arms (40,000 steps) belong in the same table: they are the pilot's longest runs.
  const longest = tablesOf(src.resultsRoot, 'regime-length');
  const pilotArms = [...(pilot?.arms ?? []), ...(longest?.arms ?? [])].filter((a) => a.seeds > 0);
  if (pilotArms.length) {
    lines.push('', toMarkdown(pilotArms.map((a): Row => ({
      arm: a.label, seeds: a.seeds, 'test NME % (clean truth)': metricText(a.nmeClean), 'test NME % (noisy labels)': metricText(a.nme),
    }))));
  } else lines.push('', 'no finished pilot run is committed yet.');
  const length = runLengthLine(src.resultsRoot, { 'a-coord': 'A', 'c-star': 'C', 'b-coord-value': 'B', 'd-star-detach': 'D' });
  if (length) {
    lines.push('', `Run-length rule (best seed-mean validation NME, whole split, noisy labels; the chosen length must be within 2% ` +
      `of a 2–3× longer run on ≥ 2 seeds): ${length}.`);
  }
  const manip = manipulationCheckAt(src.resultsRoot, 'regime-pilot', 'a-coord-clean', 'a-coord');
  if (manip) {
    lines.push('', `Manipulation check (baseline A at 8,000 steps, RMS error against the clean truth along the contour tangent, ` +
      `ambiguous − clean labels; notebook 10): ${manipulationVerdict(manip)}`);
  }
  const cost = budget ? budgetLine(src.resultsRoot, { ...budget, runs: declaredRuns.grid, workers: 2 }) : null;
  if (cost) lines.push('', cost);
  const grid = opts.grid ? opts.grid.tables : tablesOf(src.resultsRoot, 'regime');
  const gc = runCount(src.resultsRoot, 'regime');
  if (flatness && gc.done > 0) {
    const parts = flatnessChecks(src.resultsRoot, 'regime', flatness.arms, flatness.rule).flatMap(({ arm, flatness: f, missing }) =>
      (f ? [`${arm} ${(100 * f.bestEarly).toFixed(2)}% up to step ${f.upTo.toLocaleString('en')} vs ${(100 * f.best).toFixed(2)}% at step ` +
        `${f.bestStep.toLocaleString('en')} (${f.relativeGain >= 0 ? '+' : ''}${(100 * f.relativeGain).toFixed(2)}%, ${f.seeds} seed${f.seeds === 1 ? '' : 's'}: ` +
        `${f.flat ? (f.seeds < 2 ? 'flat on one seed, provisional: the pilot\'s rule asks for 2' : 'flat') : 'still improving'})`] : missing && missing !== 'no finished run' ? [`${arm}: ${missing}`] : []));
    if (parts.length) {
      lines.push('', `Grid flatness (declared for a length no longer pilot certifies: the seed-mean best validation NME up to ` +
        `${Math.round(100 * flatness.rule.upToFraction)}% of the run within ${Math.round(100 * flatness.rule.tolerance)}% of the run's best; weaker than a longer pilot): ${parts.join('; ')}.`);
    }
  }
  const staged = declaredRuns.gridAll !== undefined && declaredRuns.gridAll > declaredRuns.grid;
  lines.push('', `**Grid** (\`regime\`, ${gc.done} of ${declaredRuns.grid} ${staged ? 'stage-1 ' : ''}runs finished` +
    `${staged ? `; ${declaredRuns.gridAll} with the pre-registered stage 2` : ''}):`);
  const gridPace = opts.pace ? gridPaceLine(src.resultsRoot, opts.pace) : null;
  if (gridPace) lines.push('', gridPace);
  const gridManip = manipulationCheckAt(src.resultsRoot, 'regime', 'a-coord-clean', 'a-coord-high');
  if (gridManip) {
    lines.push('', `Manipulation check on the grid's paired seeds (A at high ambiguity vs A with clean labels, contour tangent ` +
      `error against the clean truth): ${manipulationVerdict(gridManip)}`);
  }
  if (grid && cleanRows(grid, 'primary').length) {
    lines.push('', toMarkdown(grid.arms.map((a): Row => ({ arm: a.label, seeds: a.seeds, 'test NME % (clean truth)': metricText(a.nmeClean) }))));
    if (opts.grid) {
      // The pre-registered stopping rule decides which seeds give the verdicts and whether they are final (report/regime.ts).
      const { analysis, firstLook } = opts.grid;
      const { stage, verdictTables } = verdictsFrom('regime', grid, firstLook ?? undefined, analysis);
      const family = primaryFamilyText(primaryRows(verdictTables), analysis.primary?.length ?? 0);
      lines.push('', `Primary comparisons (pre-registered, ${family}; NME points, negative = STAR better). Where the grid stands: ${stage.text}`, '');
      for (const c of primaryRows(verdictTables)) lines.push(`- ${primarySentence(c, stage.final)}`);
      lines.push('', secondaryPlanText(secondaryPlan(verdictTables, analysis, stage.final)));
    } else {
      lines.push('', 'Primary comparisons (pre-registered, Holm family, NME points, negative = STAR better):', '');
      for (const c of cleanRows(grid, 'primary')) lines.push(`- ${comparisonLine(c)}`);
    }
  } else lines.push('', 'no primary comparison has paired runs yet: no verdict.');
  return lines.join('\n');
}

/** One row per experiment of the original grid: arms (clean-truth NME) and every clean-truth comparison's verdict. */
export function originalGridBlock(src: ReadmeSources, experiments: string[]): string {
  const rows: Row[] = [];
  for (const name of experiments) {
    const t = tablesOf(src.resultsRoot, name);
    if (!t) {
      rows.push({ experiment: `\`${name}\``, 'test NME % (clean truth), mean ± sd over seeds': 'no tables', 'paired verdicts (NME points)': '' });
      continue;
    }
    rows.push({
      experiment: `\`${name}\``,
      'test NME % (clean truth), mean ± sd over seeds': t.arms.map((a) => `${a.label}: ${metricText(a.nmeClean) ?? '–'}`).join('; '),
      'paired verdicts (NME points)': cleanRows(t).map(comparisonLine).join('; ') || '–',
    });
  }
  return toMarkdown(rows);
}

export interface QuickRecord {
  commit: string;
  recordedAt: string;
  /** Sum of the arms' run wall times (data generation excluded). */
  wallSeconds: number | null;
  /** 1-minute load average when recorded: a loaded machine inflates the wall time. */
  loadAverage: number;
  tables: ExperimentTables;
}

export function quickBlock(src: ReadmeSources): string {
  const q = readJson<QuickRecord>(path.join(src.resultsRoot, 'quick', 'main.json'));
  if (!q) return 'No quick run is recorded (`npm run main`, then `npm run readme -- --record-quick`).';
  return [
    `Recorded from the main job's runs (code ${q.commit}, recorded ${q.recordedAt.slice(0, 10)}; ${q.tables.label}; one seed, indicative only; `
      + 'its timing is not reported here because the machine was shared with other jobs — `results/quick/main.json` keeps it):',
    '',
    toMarkdown(q.tables.arms.map((a): Row => ({ arm: a.label, 'test NME % (clean truth)': metricText(a.nmeClean), 'test NME % (noisy labels)': metricText(a.nme), decoder: a.decoder }))),
  ].join('\n');
}

interface BenchSummaryRow {
  net: string; threads: number; tfjsMs: number; torchMs?: number; ratio?: number;
  /** tfjs on the default engines (fastest), and its ratio to PyTorch as installed; tfjsMs / ratio are tfjs pinned's. */
  tfjsFastestMs?: number; ratioFastest?: number;
  /** PyTorch with its oneDNN capped at AVX2, and tfjs pinned (AVX2) over it. */
  torchAvx2Ms?: number; ratioSameIsa?: number;
}
interface BenchResult { net: string; threads: number; engines?: string; backendLine: string; flopsPerStep?: number; sgemmGflops?: number; medianMs: number; loss?: { starShare?: number; starMs?: number; mseMs?: number } | null }
interface BenchFile { date: string; host: { cpus: number; model: string; loadavg?: number[] }; batch: number; summary: BenchSummaryRow[]; results?: BenchResult[] }
interface PaperRow { step: number; ms: number; rssMB: number; numTensors: number; load1: number }
interface PaperFile {
  date: string; host?: { cpus: number; model: string }; args: { batch: number; threads: number };
  tfjs?: { backendLine: string; params: number; rows: PaperRow[]; error?: string };
  torch?: { median_ms?: number; steps_ms?: number[]; params?: number; torch?: string; error?: string };
}

const median = (xs: number[]): number => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};
const backendsOf = (b: BenchFile): string => [...new Set((b.results ?? []).map((r) => r.backendLine))].sort().join('; ');

/**
 * The committed training-step benchmarks that repeat the newest one: same CPU model, same nets and threads, same
 * engines and kernels (the backend lines), so their spread is run-to-run noise, not a configuration change.
 */
export function benchRepeats(dir: string): Array<{ file: string; bench: BenchFile }> {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^train-step-.*\.json$/.test(f)).sort() : [];
  const all = files.map((file) => ({ file, bench: JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as BenchFile }));
  if (!all.length) return [];
  const last = all[all.length - 1].bench;
  const shape = (b: BenchFile) => b.summary.map((r) => `${r.net}/${r.threads}`).join(',');
  return all.filter(({ bench: b }) => b.host.model === last.host.model && b.batch === last.batch && shape(b) === shape(last)
    && backendsOf(b) === backendsOf(last) && backendsOf(b) !== '');
}

/** The paper preset's CPU training measurement (bench/paper-step.ts): tfjs step time and memory over its steps, PyTorch's. */
export function paperLine(dir: string): string {
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^paper-.*\.json$/.test(f)).sort() : [];
  if (!files.length) return 'The paper preset has no committed CPU measurement.';
  const file = files[files.length - 1];
  const p = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as PaperFile;
  const rows = p.tfjs?.rows ?? [];
  if (rows.length < 2) return `\`results/bench/${file}\`: the paper preset's tfjs run recorded ${rows.length} step(s)${p.tfjs?.error ? ` (${p.tfjs.error})` : ''}.`;
  const later = rows.slice(1); // step 1 builds kernels and pools
  const tf = median(later.map((r) => r.ms)) / 1000;
  const torch = p.torch?.median_ms !== undefined ? p.torch.median_ms / 1000 : undefined;
  const [r1, rN] = [rows[1], rows[rows.length - 1]];
  const tensors = new Set(later.map((r) => r.numTensors));
  return [
    `**Paper preset on the CPU** (\`results/bench/${file}\`, ${p.host?.model ?? 'CPU'}, ${p.host?.cpus ?? '?'} cores, ${p.args.threads} threads; batch ${p.args.batch} at 256 px with the AAM heads,`,
    `${(p.tfjs!.params / 1e6).toFixed(2)} M parameters; \`npm run bench:paper\`): ${rows.length} training steps on ${p.tfjs!.backendLine.replace(/^\[backend\] /, '')};`,
    `median ${tf.toFixed(1)} s per step after the first (${(rows[0].ms / 1000).toFixed(1)} s)`,
    torch !== undefined ? `against PyTorch ${p.torch!.torch ?? ''}'s ${torch.toFixed(1)} s on the same network and objective (tfjs / PyTorch ${(tf / torch).toFixed(2)});` : '(PyTorch not measured);',
    `RSS ${Math.round(r1.rssMB)} MB at step 2 and ${Math.round(rN.rssMB)} MB at step ${rows.length},`,
    `live tensors ${tensors.size === 1 ? `${[...tensors][0]} at every step` : `between ${Math.min(...tensors)} and ${Math.max(...tensors)}`} after the first;`,
    `1-min load average ${Math.min(...rows.map((r) => r.load1)).toFixed(1)}–${Math.max(...rows.map((r) => r.load1)).toFixed(1)} during the steps.`,
  ].join(' ');
}

/**
 * The STAR loss's forward + backward over a STAR training step built from a step of `stepMs` (timed with heatmap MSE):
 * star / (step − mse + star), the bench's own definition (bench/train-step.ts), from the result that timed the losses
 * (their kernels are the engines'-independent host ones).
 */
function starShareText(results: BenchResult[], net: string, threads: number, stepMs: number | undefined): string | null {
  const timed = results.find((x) => x.net === net && x.threads === threads && x.loss != null);
  const l = timed?.loss;
  if (l?.starMs !== undefined && l.mseMs !== undefined) {
    const step = stepMs ?? timed!.medianMs;
    return `${(100 * l.starMs / (step - l.mseMs + l.starMs)).toFixed(1)}%`;
  }
  // Older files keep only the share of their own step.
  return timed?.loss?.starShare === undefined ? null : `${(100 * timed.loss.starShare).toFixed(1)}%`;
}

export function speedBlock(src: ReadmeSources): string {
  const dir = path.join(src.resultsRoot, 'bench');
  const reps = benchRepeats(dir);
  if (!reps.length) return 'No benchmark is committed.';
  const last = reps[reps.length - 1];
  const b = last.bench;
  const loads = reps.map((r) => r.bench.host.loadavg?.[0]).filter((v): v is number => v !== undefined);
  const load = loads.length ? `, 1-min load average ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} at start${reps.length > 1 ? ' (repeats run back to back: it carries the previous repeat\'s own load)' : ''}` : '';
  const cell = (xs: number[], digits: number) => (xs.length > 1 ? `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})` : xs[0].toFixed(digits));
  // Columns of the newer bench (engines and ISA-matched PyTorch), shown when the files have them. The headline columns
  // are the default engines' (fastest: each library's kernels for this CPU, as PyTorch as installed has); files from
  // before that default have only pinned rows, and then those are the headline.
  const sameIsa = b.summary.some((r) => r.ratioSameIsa !== undefined);
  const fastest = b.summary.some((r) => r.ratioFastest !== undefined);
  const rows = b.summary.map((r): Row => {
    const same = reps.map((x) => x.bench.summary.find((y) => y.net === r.net && y.threads === r.threads)!);
    const res = b.results?.find((x) => x.net === r.net && x.threads === r.threads && (x.engines ?? 'pinned') === (fastest ? 'fastest' : 'pinned'));
    const headMs = fastest ? r.tfjsFastestMs : r.tfjsMs;
    const gflops = res?.flopsPerStep && headMs ? res.flopsPerStep / 1e9 / (headMs / 1000) : undefined;
    const opt = (k: keyof BenchSummaryRow, digits: number) => {
      const xs = same.map((x) => x[k]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      return xs.length ? cell(xs, digits) : null;
    };
    return {
      net: r.net, threads: r.threads,
      'tfjs ms/step': fastest ? opt('tfjsFastestMs', 0) : opt('tfjsMs', 0),
      'PyTorch ms/step': r.torchMs === undefined ? null : opt('torchMs', 0),
      'tfjs / PyTorch': fastest ? opt('ratioFastest', 2) : opt('ratio', 2),
      ...(fastest ? { 'tfjs pinned ms': opt('tfjsMs', 0), 'pinned / PyTorch': opt('ratio', 2) } : {}),
      ...(sameIsa ? { 'PyTorch at AVX2 ms': opt('torchAvx2Ms', 0), 'same-ISA ratio': opt('ratioSameIsa', 2) } : {}),
      'tfjs GFLOP/s (sgemm)': gflops === undefined ? null : `${gflops.toFixed(0)} (${res!.sgemmGflops!.toFixed(0)})`,
      // The loss is timed once per net and threads, beside the first engines' step; its kernels are the same on both.
      'STAR share of a step': starShareText(b.results ?? [], r.net, r.threads, headMs),
    };
  });
  const engines = [...new Set((b.results ?? []).map((r) => r.backendLine.match(/engines=(.*?) kernels=/)?.[1]).filter(Boolean))];
  return [
    `${reps.length === 1 ? `\`results/bench/${last.file}\`` : `${reps.length} repeats, \`results/bench/${reps[0].file}\` … \`${last.file}\``}`
      + ` (${b.host.model}, ${b.host.cpus} cores${load}; batch ${b.batch}; median ms per training step incl. the data loader`
      + `${reps.length > 1 ? ', median of the repeats with their range' : ''}; tfjs on ${engines.length ? engines.join(', ') : 'the engines the file does not record'};`
      + ' GFLOP/s from the convolution and matrix-product FLOPs of a step, next to an sgemm on the same backend and threads; STAR share: the STAR loss\'s forward + backward over the step, newest repeat'
      + `${fastest ? '; tfjs: the default engines (fastest: each library\'s kernels for this CPU, as PyTorch as installed picks its own); pinned: OpenBLAS Haswell + oneDNN capped at AVX2, what the grids use (STAR_ENGINES=pinned)' : ''}`
      + `${sameIsa ? '; same-ISA ratio: tfjs pinned (AVX2) over PyTorch with its oneDNN capped at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2)' : ''}):`,
    '',
    toMarkdown(rows).trimEnd(),
    '',
    paperLine(dir),
  ].join('\n');
}

const BLOCK_RE = /(<!-- generated:([a-z-]+) -->\n)([\s\S]*?)(<!-- end generated:\2 -->)/g;

/** README text with every generated block replaced by `blocks[name]`; throws on a block without a builder. */
export function fillReadme(text: string, blocks: Record<string, string>): string {
  return text.replace(BLOCK_RE, (_m, open: string, name: string, _body: string, close: string) => {
    if (!(name in blocks)) throw new Error(`README block "${name}" has no generator (known: ${Object.keys(blocks).join(', ')})`);
    return `${open}${blocks[name]}\n${close}`;
  });
}

export function blockNames(text: string): string[] {
  return [...text.matchAll(BLOCK_RE)].map((m) => m[2]);
}
