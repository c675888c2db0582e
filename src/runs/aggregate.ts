/**
 * An experiment's results aggregated over seeds, from its run folders: per arm every metric as numbers (per-seed
 * values, mean, sd, n), and the paired comparisons. This is the one aggregation: tables and figures (src/report/)
 * format these numbers and recompute nothing.
 *
 * Runs of one experiment must share one provenance (code version and kernel set, runs/provenance.ts): differences
 * between arms would otherwise mix the effect of the arm with the effect of the code. A mixed experiment is refused
 * (MixedProvenanceError, listing the groups) unless the caller allows it; the results then say it is mixed.
 */
import { finalEigen, readProvenance, readSummary, runDirFor } from './folder';
import { describeProvenance, provenanceDifferences, provenanceKey, type Provenance } from './provenance';
import type { RunSummary } from './records';
import { pairedDifference, seedStats, type PairedDifference, type SeedStats } from './stats';
import { analyseFamily, type FamilyRow } from './inference';

/** What names an experiment's runs: an experiment spec (experiments/spec.ts) is one. */
export interface RunGrid {
  name: string;
  seeds: number[];
  arms: { id: string; label: string }[];
  /** Pairs [baseline arm id, arm id]. */
  comparisons: [string, string][];
  /** The pre-registered analysis (experiments/spec.ts ExperimentAnalysis); absent: the defaults below. */
  analysis?: GridAnalysis;
}

/**
 * How comparisons are judged. `primary` comparisons (declared before any run) form one Holm family on the clean-truth
 * NME; the grid's other `comparisons` form a second family per metric. Margins and differences are in NME percentage
 * points.
 */
export interface GridAnalysis {
  /** Equivalence margin of TOST (NME points): "no difference" is claimed only within ±margin. */
  margin: number;
  /** Family-wise error rate. Default 0.05. */
  alpha?: number;
  primary?: PrimarySpec[];
  /**
   * A staged seed rule, declared with the rest: the paired seeds at each look (cumulative, increasing; the last at most
   * the grid's seeds), e.g. [8, 16]: the primary comparisons are judged on the first 8 seeds, and only if one of them
   * is inconclusive does the grid go on to 16 (src/report/regime.ts stageStatus). The grid declares all its seeds, so a
   * later stage runs the same code as the first (runs of one grid never mix code versions); GRID_SEEDS in
   * scripts/run-grid.sh trains one stage.
   */
  stages?: number[];
}

/**
 * One primary comparison: `arm` − `baseline` per seed, or with `versus`, the interaction
 * (arm − baseline) − (versus.arm − versus.baseline) per seed (e.g. a gain at high ambiguity minus the same gain at none).
 */
export interface PrimarySpec {
  id: string;
  label: string;
  baseline: string;
  arm: string;
  versus?: { baseline: string; arm: string };
}

/** Default margin for grids that declare none (the original grid): half an NME point. */
export const DEFAULT_MARGIN = 0.5;

/** One arm over its finished seeds. A metric's `values` are those of the runs that report it, in seed order. */
export interface ArmResults {
  arm: string;
  label: string;
  /** Seeds with a finished run, in the grid's order. */
  seeds: number[];
  /** Loss description and decoder of the first finished run ('' when there is none). */
  loss: string;
  decoder: RunSummary['decoder'] | '';
  /** The NME threshold of FR and AUC (the scheme's: 0.1 for WFLW-98), of the first finished run; null without one. */
  threshold: number | null;
  /** Test metrics against the (noisy) labels: NME and FR as fractions, AUC. */
  nme: SeedStats;
  fr: SeedStats;
  auc: SeedStats;
  /** Test NME against the clean truth, with the method's decoder and with soft-argmax for every method. */
  nmeClean: SeedStats;
  nmeCleanSoftArgmax: SeedStats;
  msPerStep: SeedStats;
  /** Mean predicted eigenvalues over all landmarks at the end of training (last eigen.jsonl entry). */
  lambdaMin: SeedStats;
  lambdaMax: SeedStats;
}

/** `arm` − `baseline` over the seeds both finished, on one test NME (fractions, like the arms' metrics). */
export interface PairedComparison {
  /** 'primary' (pre-registered, one Holm family) or 'secondary' (the grid's other comparisons, a family per metric). */
  family: 'primary' | 'secondary';
  /** Primary comparisons' id and label; for secondary ones `<arm> − <baseline>`. */
  id: string;
  label: string;
  baseline: string;
  arm: string;
  /** Present for an interaction: the comparison subtracted per seed. */
  versus?: { baseline: string; arm: string };
  metric: 'nmeClean' | 'nme';
  seeds: number[];
  /** Plain 95% t interval of the mean difference (no multiplicity correction). */
  difference: PairedDifference;
  /** Holm, TOST and MDE within the comparison's family (see runs/inference.ts). */
  inference: FamilyRow;
  /** The equivalence margin used, as a fraction (NME). */
  margin: number;
}

/** Finished runs that share one provenance (null: the run records none). */
export interface ProvenanceGroup {
  provenance: Provenance | null;
  /** `<arm>-s<seed>`, in grid order. */
  runs: string[];
}

export interface ExperimentResults {
  experiment: string;
  arms: ArmResults[];
  comparisons: PairedComparison[];
  /** Runs (`<arm>-s<seed>`) without a summary. */
  missing: string[];
  /** The finished runs by provenance, largest group first; more than one group only when mixing was allowed. */
  provenance: ProvenanceGroup[];
}

export interface AggregateOptions {
  /** Aggregate runs of different code versions or kernel sets anyway (the results list the groups). Default false. */
  allowMixed?: boolean;
}

/** One line per group, for errors and table notes: "12 runs (a-s1, b-s1, …): commit …". */
export function describeProvenanceGroups(groups: ProvenanceGroup[]): string[] {
  return groups.map((g, i) => {
    const names = g.runs.length > 6 ? `${g.runs.slice(0, 6).join(', ')}, … ${g.runs.length - 6} more` : g.runs.join(', ');
    return `${i + 1}. ${g.runs.length} run${g.runs.length === 1 ? '' : 's'} (${names}): ${g.provenance ? describeProvenance(g.provenance) : 'no provenance recorded'}`;
  });
}

/** Thrown when an experiment's finished runs come from more than one code version or kernel set. */
export class MixedProvenanceError extends Error {
  constructor(readonly experiment: string, readonly groups: ProvenanceGroup[]) {
    const [a, b] = groups;
    const differ = a.provenance && b.provenance ? `\n  groups 1 and 2 differ in: ${provenanceDifferences(a.provenance, b.provenance).join('; ')}` : '';
    super(`${experiment}: its finished runs come from ${groups.length} different code versions or kernel sets, and a table would mix them:\n  `
      + describeProvenanceGroups(groups).join('\n  ') + differ
      + '\nRe-train one group with the code and settings of the other (scripts/run-grid.sh <tag>), or pass --allow-mixed to build the tables anyway (they then say they are mixed).');
  }
}

function groupByProvenance(runs: { name: string; dir: string }[]): ProvenanceGroup[] {
  const groups = new Map<string, ProvenanceGroup>();
  for (const r of runs) {
    const p = readProvenance(r.dir);
    const key = p ? provenanceKey(p) : 'none';
    const g = groups.get(key) ?? { provenance: p, runs: [] };
    g.runs.push(r.name);
    groups.set(key, g);
  }
  return [...groups.values()].sort((x, y) => y.runs.length - x.runs.length);
}

interface FinishedRun {
  seed: number;
  dir: string;
  summary: RunSummary;
}

export function aggregateExperiment(resultsRoot: string, grid: RunGrid, opts: AggregateOptions = {}): ExperimentResults {
  const missing: string[] = [];
  const finishedDirs: { name: string; dir: string }[] = [];
  const runs = new Map<string, FinishedRun[]>();
  for (const arm of grid.arms) {
    const finished: FinishedRun[] = [];
    for (const seed of grid.seeds) {
      const dir = runDirFor(resultsRoot, grid, arm, seed);
      const summary = readSummary(dir);
      if (summary) {
        finished.push({ seed, dir, summary });
        finishedDirs.push({ name: `${arm.id}-s${seed}`, dir });
      } else missing.push(`${arm.id}-s${seed}`);
    }
    runs.set(arm.id, finished);
  }
  const provenance = groupByProvenance(finishedDirs);
  if (provenance.length > 1 && !opts.allowMixed) throw new MixedProvenanceError(grid.name, provenance);
  const arms = grid.arms.map((arm): ArmResults => {
    const rs = runs.get(arm.id)!;
    const s = rs.map((r) => r.summary);
    const eigen = (key: string) => seedStats(rs.map((r) => finalEigen(r.dir, key)).filter(Number.isFinite));
    return {
      arm: arm.id, label: arm.label, seeds: rs.map((r) => r.seed), loss: s[0]?.loss ?? '', decoder: s[0]?.decoder ?? '', threshold: s[0]?.test.threshold ?? null,
      nme: seedStats(s.map((r) => r.test.labels.nme)),
      fr: seedStats(s.map((r) => r.test.labels.fr)),
      auc: seedStats(s.map((r) => r.test.labels.auc)),
      nmeClean: seedStats(s.filter((r) => r.test.clean).map((r) => r.test.clean!.nme)),
      nmeCleanSoftArgmax: seedStats(s.filter((r) => r.testSoftArgmax?.clean).map((r) => r.testSoftArgmax.clean!.nme)),
      msPerStep: seedStats(s.map((r) => r.msPerStep)),
      lambdaMin: eigen('all.lambdaMin'),
      lambdaMax: eigen('all.lambdaMax'),
    };
  });
  const comparisons = [...primaryComparisons(grid, runs), ...secondaryComparisons(grid, runs)];
  return { experiment: grid.name, arms, comparisons, missing, provenance };
}

type Metric = PairedComparison['metric'];
const metricValue = (r: RunSummary, metric: Metric): number => (metric === 'nmeClean' ? r.test.clean?.nme : r.test.labels.nme) ?? NaN;

/** Per-seed values of an arm on the given seeds (NaN where a run lacks the metric). */
function valuesOn(runs: Map<string, FinishedRun[]>, arm: string, seeds: number[], metric: Metric): number[] {
  const rs = runs.get(arm) ?? [];
  return seeds.map((seed) => {
    const r = rs.find((x) => x.seed === seed);
    return r ? metricValue(r.summary, metric) : NaN;
  });
}

function finishedSeeds(runs: Map<string, FinishedRun[]>, arms: string[]): number[] {
  const sets = arms.map((a) => new Set((runs.get(a) ?? []).map((r) => r.seed)));
  return [...sets[0]].filter((s) => sets.every((x) => x.has(s))).sort((x, y) => x - y);
}

function analysisOf(grid: RunGrid): { margin: number; alpha: number } {
  return { margin: (grid.analysis?.margin ?? DEFAULT_MARGIN) / 100, alpha: grid.analysis?.alpha ?? 0.05 };
}

/** One family: each entry's [a, b] per-seed values with b − a the compared difference; Holm/TOST/MDE together. */
function judge(
  entries: Array<Omit<PairedComparison, 'difference' | 'inference' | 'margin'> & { a: number[]; b: number[] }>, grid: RunGrid,
): PairedComparison[] {
  const { margin, alpha } = analysisOf(grid);
  const rows = analyseFamily(entries.map((e) => [e.a, e.b] as const), { margin, alpha });
  return entries.map(({ a, b, ...e }, i) => ({ ...e, difference: pairedDifference(a, b), inference: rows[i], margin }));
}

function primaryComparisons(grid: RunGrid, runs: Map<string, FinishedRun[]>): PairedComparison[] {
  const primary = grid.analysis?.primary ?? [];
  const entries = primary.flatMap((p) => {
    const arms = [p.baseline, p.arm, ...(p.versus ? [p.versus.baseline, p.versus.arm] : [])];
    const seeds = finishedSeeds(runs, arms);
    if (seeds.length === 0) return [];
    const v = (arm: string) => valuesOn(runs, arm, seeds, 'nmeClean');
    const [base, arm] = [v(p.baseline), v(p.arm)];
    if ([...base, ...arm].some(Number.isNaN)) return [];
    // For an interaction, a = the subtracted gain and b = the gain, so b − a is the difference of differences.
    const a = p.versus ? v(p.versus.arm).map((x, i) => x - v(p.versus!.baseline)[i]) : base;
    const b = p.versus ? arm.map((x, i) => x - base[i]) : arm;
    if (a.some(Number.isNaN)) return [];
    return [{ family: 'primary' as const, id: p.id, label: p.label, baseline: p.baseline, arm: p.arm, versus: p.versus, metric: 'nmeClean' as const, seeds, a, b }];
  });
  return judge(entries, grid);
}

function secondaryComparisons(grid: RunGrid, runs: Map<string, FinishedRun[]>): PairedComparison[] {
  const out: PairedComparison[] = [];
  for (const metric of ['nmeClean', 'nme'] as const) {
    const entries = grid.comparisons.flatMap(([baseline, arm]) => {
      const seeds = finishedSeeds(runs, [baseline, arm]);
      if (seeds.length === 0) return [];
      const a = valuesOn(runs, baseline, seeds, metric);
      const b = valuesOn(runs, arm, seeds, metric);
      if ([...a, ...b].some(Number.isNaN)) return [];
      return [{ family: 'secondary' as const, id: `${arm}-vs-${baseline}`, label: `${arm} − ${baseline}`, baseline, arm, metric, seeds, a, b }];
    });
    out.push(...judge(entries, grid));
  }
  return out;
}
