/**
 * An experiment's results aggregated over seeds, from its run folders: per arm every metric as numbers (per-seed
 * values, mean, sd, n), and the paired comparisons. This is the one aggregation: tables and figures (src/report/)
 * format these numbers and recompute nothing.
 */
import { finalEigen, readSummary, runDirFor } from './folder';
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

export interface ExperimentResults {
  experiment: string;
  arms: ArmResults[];
  comparisons: PairedComparison[];
  /** Runs (`<arm>-s<seed>`) without a summary. */
  missing: string[];
}

interface FinishedRun {
  seed: number;
  dir: string;
  summary: RunSummary;
}

export function aggregateExperiment(resultsRoot: string, grid: RunGrid): ExperimentResults {
  const missing: string[] = [];
  const runs = new Map<string, FinishedRun[]>();
  for (const arm of grid.arms) {
    const finished: FinishedRun[] = [];
    for (const seed of grid.seeds) {
      const dir = runDirFor(resultsRoot, grid, arm, seed);
      const summary = readSummary(dir);
      if (summary) finished.push({ seed, dir, summary });
      else missing.push(`${arm.id}-s${seed}`);
    }
    runs.set(arm.id, finished);
  }
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
  return { experiment: grid.name, arms, comparisons, missing };
}
