/**
 * An experiment's tables, formatted from its aggregated results (src/runs/aggregate.ts): per arm mean ± std over seeds,
 * and paired differences with 95% intervals, written as JSON, CSV and Markdown to `<resultsRoot>/tables/`.
 * Also the per-arm table the ablation notebooks show.
 */
import * as path from 'path';
import { profileLabel, type Profile } from '../config/profile';
import type { ScaledSpec } from '../experiments/spec';
import { aggregateExperiment, type ArmResults, type ExperimentResults, type PairedComparison } from '../runs/aggregate';
import type { SeedStats } from '../runs/stats';
import { writeJsonAtomic } from '../util/files';
import { writeTable, type Row } from './table';

export interface ExperimentTables {
  experiment: string;
  title: string;
  question: string;
  profile: Profile;
  label: string;
  arms: ArmRow[];
  comparisons: ComparisonRow[];
  missing: string[];
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

/** One paired comparison; every number is in NME percentage points (arm − baseline: negative = arm better). */
export interface ComparisonRow {
  family: 'primary' | 'secondary';
  comparison: string;
  baseline: string;
  arm: string;
  metric: string;
  n: number;
  meanDiff: number;
  /** Sample sd of the per-seed differences (null with one seed). */
  sdDiff: number | null;
  /** Plain 95% t interval, uncorrected. */
  ci95: string;
  /** Holm-adjusted two-sided p within the family, and the interval at the level Holm tests this comparison at. */
  pHolm: number | null;
  intervalHolm: string;
  /** TOST p against ±margin (equivalence claimed below α/m). */
  margin: number;
  pTost: number | null;
  /** Minimum detectable effect at 80% power and the family's α/m, from the observed sd. */
  mde: number | null;
  verdict: string;
}

/** "4.02 ± 0.05" (scaled), "4.02" for one seed, null for none (keeps NaN out of tables). */
export function formatMeanSd(s: SeedStats, scale = 100, digits = 2): string | null {
  if (!s.n || !Number.isFinite(s.mean)) return null;
  return s.n > 1 ? `${(scale * s.mean).toFixed(digits)} ± ${(scale * s.sd).toFixed(digits)}` : (scale * s.mean).toFixed(digits);
}

const METRIC_LABEL = { nmeClean: 'NME % (clean truth)', nme: 'NME % (noisy labels)' } as const;

export function experimentTables(spec: ScaledSpec, profile: Profile, results: ExperimentResults): ExperimentTables {
  const text = (s: SeedStats, scale?: number, digits?: number) => formatMeanSd(s, scale, digits) ?? '–';
  const arms = results.arms.map((a): ArmRow => ({
    arm: a.arm, label: a.label, loss: a.loss, seeds: a.seeds.length,
    nme: text(a.nme), fr: text(a.fr), auc: text(a.auc, 1, 4), nmeClean: text(a.nmeClean),
    decoder: a.decoder, nmeCleanSoftArgmax: text(a.nmeCleanSoftArgmax),
    nmeMean: a.nme.n ? a.nme.mean : NaN, nmeCleanMean: a.nmeClean.n ? a.nmeClean.mean : null,
    msPerStep: a.msPerStep.n ? a.msPerStep.mean : NaN,
  }));
  const comparisons = results.comparisons.map(comparisonRow);
  return {
    experiment: spec.name, title: spec.title, question: spec.question, profile, label: profileLabel(profile),
    arms, comparisons, missing: results.missing,
  };
}

const points = (v: number, digits = 3): number | null => (Number.isFinite(v) ? Number((100 * v).toFixed(digits)) : null);
const interval = ([lo, hi]: [number, number]): string => (Number.isFinite(lo) ? `[${(100 * lo).toFixed(3)}, ${(100 * hi).toFixed(3)}]` : 'n/a');
const pValue = (p: number): number | null => (Number.isFinite(p) ? Number(p.toPrecision(3)) : null);

/** The verdict in words: a difference, equivalence within the margin, inconclusive with its MDE, or not testable. */
export function verdictText(c: PairedComparison): string {
  const r = c.inference;
  switch (r.verdict) {
    case 'b lower': return `${c.arm} lower (better)`;
    case 'b higher': return `${c.arm} higher (worse)`;
    case 'equivalent': return `equivalent within ±${(100 * c.margin).toFixed(2)} points`;
    case 'inconclusive': return `inconclusive (detectable: ${(100 * r.mde).toFixed(2)} points)`;
    case 'not testable': return `not testable (n = ${r.test.n})`;
  }
}

function comparisonRow(c: PairedComparison): ComparisonRow {
  const r = c.inference;
  return {
    family: c.family, comparison: c.label, baseline: c.baseline, arm: c.arm, metric: METRIC_LABEL[c.metric], n: r.test.n,
    meanDiff: points(r.test.mean)!, sdDiff: points(r.test.sd), ci95: interval([c.difference.lo, c.difference.hi]),
    pHolm: pValue(r.pHolm), intervalHolm: interval(r.intervalHolm), margin: Number((100 * c.margin).toFixed(3)),
    pTost: pValue(r.pTost), mde: points(r.mde), verdict: verdictText(c),
  };
}

/** The arm rows as the CSV/Markdown table shows them (whole ms per step, no machine-only columns). */
export function armTableRows(t: ExperimentTables): Row[] {
  return t.arms.map(({ nmeMean, nmeCleanMean, ...r }) => ({ ...r, msPerStep: Number.isFinite(r.msPerStep) ? Math.round(r.msPerStep) : null }));
}

/** Aggregate the run folders, then write the tables to `<resultsRoot>/tables/<experiment>.{json,csv,md}` (+ `-paired`). */
export function summariseExperiment(spec: ScaledSpec, profile: Profile, resultsRoot: string): { tables: ExperimentTables; results: ExperimentResults } {
  const results = aggregateExperiment(resultsRoot, spec);
  const tables = experimentTables(spec, profile, results);
  const dir = path.join(resultsRoot, 'tables');
  writeJsonAtomic(path.join(dir, `${spec.name}.json`), tables);
  const note = `${spec.title} — ${profileLabel(profile)}; NME in % of the inter-ocular distance (WFLW-98 layout), mean ± std over seeds.`;
  writeTable(armTableRows(tables), path.join(dir, `${spec.name}`), { title: note });
  if (tables.comparisons.length) writeTable(tables.comparisons.map((c) => ({ ...c })), path.join(dir, `${spec.name}-paired`), {
    title: `${spec.title}: paired differences (arm − baseline, NME percentage points; negative = arm better) over seeds — ${profileLabel(profile)}. ` +
      'Holm-adjusted p and intervals within each family (primary: pre-registered; secondary: the rest, per metric); ' +
      '"equivalent" only when TOST rejects ±margin at α/m; MDE = minimum detectable effect at 80% power.',
  });
  return { tables, results };
}

/** The notebooks' per-arm table: test metrics and final mean eigenvalues, with a data-provenance column. */
export function armMetricRows(arms: ArmResults[], label: string): Row[] {
  const num = (v: number) => (Number.isFinite(v) ? Number(v.toExponential(3)) : null);
  return arms.map((m) => ({
    arm: m.label, seeds: m.seeds.length,
    'NME % (clean truth)': formatMeanSd(m.nmeClean), 'NME % (noisy labels)': formatMeanSd(m.nme),
    'FR@0.1 %': formatMeanSd(m.fr), 'AUC@0.1': formatMeanSd(m.auc, 1, 4),
    'mean λmin (grid²)': num(m.lambdaMin.mean), 'mean λmax (grid²)': num(m.lambdaMax.mean),
    data: label,
  }));
}
