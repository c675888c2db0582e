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
import { LENGTH_STAGES, lengthChecks } from './pilot';
import { runPace, type RunPace } from '../runs/pace';

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
  const dir = path.join(root, 'runs', 'regime-pilot');
  if (!fs.existsSync(dir)) return null;
  const paces = fs.readdirSync(dir).filter((d) => /-long-s\d+$/.test(d) && fs.existsSync(path.join(dir, d, 'summary.json')))
    .map((d) => runPace(path.join(dir, d))).filter((p): p is RunPace => p !== null);
  if (paces.length === 0) return null;
  const sPerStep = paces.reduce((s, p) => s + p.secondsPerStep, 0) / paces.length;
  const ms = paces.map((p) => p.medianMsPerStep).sort((a, b) => a - b);
  const median = ms.length % 2 ? ms[ms.length >> 1] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
  const runHours = (sPerStep * grid.steps) / 3600;
  const wall = (runs: number) => { const h = (runs * runHours) / grid.workers; return `${h.toFixed(h < 10 ? 1 : 0)} h`; };
  return `Budget, from the pilot's ${paces.length} finished 20,000-step runs (two single-threaded workers sharing the 2-core machine; ` +
    `median ${median.toFixed(0)} ms per step, ${sPerStep.toFixed(3)} s per step with validation): ${runHours.toFixed(2)} h per ` +
    `${grid.steps.toLocaleString('en')}-step run; stage 1 (${grid.runs} runs) ≈ ${wall(grid.runs)} on ${grid.workers} workers, its primary ` +
    `arms alone (${grid.primaryRuns} runs) ≈ ${wall(grid.primaryRuns)}.`;
}

export function regimeBlock(
  src: ReadmeSources,
  declaredRuns: { pilot: number; lengthCheck?: number; grid: number; gridAll?: number },
  budget?: { steps: number; primaryRuns: number },
): string {
  const lines: string[] = [];
  const pilot = tablesOf(src.resultsRoot, 'regime-pilot');
  const pc = runCount(src.resultsRoot, 'regime-pilot');
  const lc = runCount(src.resultsRoot, 'regime-length');
  const second = declaredRuns.lengthCheck === undefined ? ''
    : `; its second run-length check, \`regime-length\` (40,000 steps), ${lc.done} of ${declaredRuns.lengthCheck}`;
  lines.push(`**Pilot** (\`regime-pilot\`, ${pc.done} of ${declaredRuns.pilot} runs finished${second}; \`results/tables/regime-pilot.md\`):`);
  if (pilot && pilot.arms.some((a) => a.seeds > 0)) {
    lines.push('', toMarkdown(pilot.arms.filter((a) => a.seeds > 0).map((a): Row => ({
      arm: a.label, seeds: a.seeds, 'test NME % (clean truth)': metricText(a.nmeClean), 'test NME % (noisy labels)': metricText(a.nme),
    }))));
  } else lines.push('', 'no finished pilot run is committed yet.');
  const length = runLengthLine(src.resultsRoot, { 'a-coord': 'A', 'c-star': 'C', 'b-coord-value': 'B', 'd-star-detach': 'D' });
  if (length) {
    lines.push('', `Run-length rule (best seed-mean validation NME, whole split, noisy labels; the chosen length must be within 2% ` +
      `of a 2–3× longer run on ≥ 2 seeds): ${length}.`);
  }
  const cost = budget ? budgetLine(src.resultsRoot, { ...budget, runs: declaredRuns.grid, workers: 2 }) : null;
  if (cost) lines.push('', cost);
  const grid = tablesOf(src.resultsRoot, 'regime');
  const gc = runCount(src.resultsRoot, 'regime');
  const staged = declaredRuns.gridAll !== undefined && declaredRuns.gridAll > declaredRuns.grid;
  lines.push('', `**Grid** (\`regime\`, ${gc.done} of ${declaredRuns.grid} ${staged ? 'stage-1 ' : ''}runs finished` +
    `${staged ? `; ${declaredRuns.gridAll} with the pre-registered stage 2` : ''}):`);
  if (grid && cleanRows(grid, 'primary').length) {
    lines.push('', toMarkdown(grid.arms.map((a): Row => ({ arm: a.label, seeds: a.seeds, 'test NME % (clean truth)': metricText(a.nmeClean) }))));
    lines.push('', 'Primary comparisons (pre-registered, Holm family, NME points, negative = STAR better):', '');
    for (const c of cleanRows(grid, 'primary')) lines.push(`- ${comparisonLine(c)}`);
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

interface BenchSummaryRow { net: string; threads: number; tfjsMs: number; torchMs?: number; ratio?: number }
interface BenchFile { date: string; host: { cpus: number; model: string; loadavg?: number[] }; batch: number; summary: BenchSummaryRow[] }

export function speedBlock(src: ReadmeSources): string {
  const dir = path.join(src.resultsRoot, 'bench');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^train-step-.*\.json$/.test(f)).sort() : [];
  if (!files.length) return 'No benchmark is committed.';
  const file = files[files.length - 1];
  const b = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as BenchFile;
  const load = b.host.loadavg ? `, load average ${b.host.loadavg.map((v) => v.toFixed(2)).join(' / ')} at start` : '';
  return [
    `\`results/bench/${file}\` (${b.host.model}, ${b.host.cpus} cores${load}; batch ${b.batch}, median ms per training step incl. the data loader):`,
    '',
    toMarkdown(b.summary.map((r): Row => ({
      net: r.net, threads: r.threads, 'tfjs ms/step': Math.round(r.tfjsMs), 'PyTorch ms/step': r.torchMs === undefined ? null : Math.round(r.torchMs),
      'tfjs / PyTorch': r.ratio === undefined ? null : Number(r.ratio.toFixed(2)),
    }))),
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
