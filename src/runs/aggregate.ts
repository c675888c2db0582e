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

/** What names an experiment's runs: an experiment spec (experiments/spec.ts) is one. */
export interface RunGrid {
  name: string;
  seeds: number[];
  arms: { id: string; label: string }[];
  /** Pairs [baseline arm id, arm id]. */
  comparisons: [string, string][];
}

/** One arm over its finished seeds. A metric's `values` are those of the runs that report it, in seed order. */
export interface ArmResults {
  arm: string;
  label: string;
  /** Seeds with a finished run, in the grid's order. */
  seeds: number[];
  /** Loss description and decoder of the first finished run ('' when there is none). */
  loss: string;
  decoder: RunSummary['decoder'] | '';
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

/** `arm` − `baseline` over the seeds both finished, on one test NME. */
export interface PairedComparison {
  baseline: string;
  arm: string;
  metric: 'nmeClean' | 'nme';
  seeds: number[];
  difference: PairedDifference;
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
      arm: arm.id, label: arm.label, seeds: rs.map((r) => r.seed), loss: s[0]?.loss ?? '', decoder: s[0]?.decoder ?? '',
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
  const comparisons: PairedComparison[] = [];
  for (const [a, b] of grid.comparisons) {
    const ra = runs.get(a) ?? [];
    const rb = runs.get(b) ?? [];
    const seeds = ra.map((r) => r.seed).filter((seed) => rb.some((r) => r.seed === seed));
    if (seeds.length === 0) continue;
    for (const metric of ['nmeClean', 'nme'] as const) {
      const value = (r: RunSummary) => (metric === 'nmeClean' ? r.test.clean?.nme : r.test.labels.nme);
      const pick = (rs: FinishedRun[]) => seeds.map((seed) => value(rs.find((r) => r.seed === seed)!.summary) ?? NaN);
      const va = pick(ra);
      const vb = pick(rb);
      if (va.some(Number.isNaN) || vb.some(Number.isNaN)) continue;
      comparisons.push({ baseline: a, arm: b, metric, seeds, difference: pairedDifference(va, vb) });
    }
  }
  return { experiment: grid.name, arms, comparisons, missing, provenance };
}
