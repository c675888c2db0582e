/**
 * An experiment's tables, formatted from its aggregated results (src/runs/aggregate.ts): per arm mean ± sd over seeds,
 * and paired differences with their statistics, written to `<resultsRoot>/tables/`: JSON (numbers, one unit each,
 * documented in UNITS and in the file), CSV (numbers, units in the headers) and Markdown (for people: the question,
 * units in the headers and a legend). Also the per-arm table the ablation notebooks show.
 */
import * as path from 'path';
import { profileLabel, type Profile } from '../config/profile';
import type { ScaledSpec } from '../experiments/spec';
import { aggregateExperiment, describeProvenanceGroups, type AggregateOptions, type ArmResults, type ExperimentResults, type PairedComparison } from '../runs/aggregate';
import type { SeedStats } from '../runs/stats';
import { writeJsonAtomic } from '../util/files';
import { writeTable, type Row } from './table';

export interface ExperimentTables {
  experiment: string;
  title: string;
  question: string;
  profile: Profile;
  label: string;
  /** The NME threshold of FR and AUC (0.1 for WFLW-98), null without runs. */
  threshold: number | null;
  /** What every number means (the same text as the tables' legend). */
  units: typeof UNITS;
  arms: ArmRow[];
  comparisons: ComparisonRow[];
  missing: string[];
  /** Where the numbers come from: one line per code version / kernel set; `mixed` when there is more than one. */
  provenance: { mixed: boolean; groups: string[] };
}

/** A metric over seeds in its table unit: the mean, and the sample sd only when there is a spread (two or more seeds). */
export interface MetricSummary {
  mean: number | null;
  sd: number | null;
}

/** One arm over its seeds; units in UNITS (NME and FR in %, AUC 0..1). */
export interface ArmRow {
  arm: string;
  label: string;
  loss: string;
  decoder: string;
  seeds: number;
  /** Test NME against the clean truth, with the method's decoder (the grid's main metric). */
  nmeClean: MetricSummary;
  /** Clean-truth NME with soft-argmax decoding, for every method. */
  nmeCleanSoftArgmax: MetricSummary;
  /** Test NME against the noisy (annotator-like) labels. */
  nme: MetricSummary;
  fr: MetricSummary;
  auc: MetricSummary;
  msPerStep: number | null;
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
  /** Plain 95% t interval [lo, hi], uncorrected; null when it does not exist (one seed). */
  ci95: [number, number] | null;
  /** Holm-adjusted two-sided p within the family, and the decision-compatible interval (runs/inference.ts holmLevels). */
  pHolm: number | null;
  intervalHolm: [number, number] | null;
  /** TOST p against ±margin (equivalence claimed below α/m). */
  margin: number;
  pTost: number | null;
  /** Minimum detectable effect at 80% power and the family's α/m, from the observed sd. */
  mde: number | null;
  verdict: string;
}

/** The one unit of each number in the tables (JSON, CSV and Markdown alike). */
export const UNITS = {
  nme: 'NME: test error in % of the inter-ocular distance (outer eye corners, WFLW-98 points 60 and 72); "clean truth" = the noise-free synthetic landmarks, "noisy labels" = the annotator-like test labels',
  fr: 'FR@threshold: % of test faces whose NME exceeds the threshold',
  auc: 'AUC@threshold: area under the CED curve from NME 0 to the threshold, normalised to 0..1',
  spread: 'mean ± sample sd over seeds; one seed: the value alone (no spread, no error bar)',
  differences: 'paired differences arm − baseline per seed, in NME percentage points (negative: arm better)',
  msPerStep: 'milliseconds per training step (wall clock, as the run measured it)',
} as const;

/** "4.02 ± 0.05" (scaled), "4.02" for one seed, null for none (keeps NaN out of tables). */
export function formatMeanSd(s: SeedStats, scale = 100, digits = 2): string | null {
  if (!s.n || !Number.isFinite(s.mean)) return null;
  return s.n > 1 ? `${(scale * s.mean).toFixed(digits)} ± ${(scale * s.sd).toFixed(digits)}` : (scale * s.mean).toFixed(digits);
}

/** A metric summary as text: "10.13 ± 0.48", "10.13" without spread, null without runs. */
export function metricText(m: MetricSummary, digits = 2): string | null {
  if (m.mean === null) return null;
  return m.sd === null ? m.mean.toFixed(digits) : `${m.mean.toFixed(digits)} ± ${m.sd.toFixed(digits)}`;
}

const METRIC_LABEL = { nmeClean: 'NME % (clean truth)', nme: 'NME % (noisy labels)' } as const;

/** Scaled to the table unit and rounded (stable JSON; 4 decimals are far below any seed-to-seed spread). */
function summary(s: SeedStats, scale = 100, digits = 4): MetricSummary {
  if (!s.n || !Number.isFinite(s.mean)) return { mean: null, sd: null };
  const r = (v: number) => Number((scale * v).toFixed(digits));
  return { mean: r(s.mean), sd: s.n > 1 ? r(s.sd) : null };
}

export function experimentTables(spec: ScaledSpec, profile: Profile, results: ExperimentResults): ExperimentTables {
  const arms = results.arms.map((a): ArmRow => ({
    arm: a.arm, label: a.label, loss: a.loss, decoder: a.decoder, seeds: a.seeds.length,
    nmeClean: summary(a.nmeClean), nmeCleanSoftArgmax: summary(a.nmeCleanSoftArgmax), nme: summary(a.nme),
    fr: summary(a.fr), auc: summary(a.auc, 1, 5),
    msPerStep: a.msPerStep.n ? Number(a.msPerStep.mean.toFixed(1)) : null,
  }));
  const comparisons = results.comparisons.map(comparisonRow);
  return {
    experiment: spec.name, title: spec.title, question: spec.question, profile, label: profileLabel(profile),
    threshold: results.arms.find((a) => a.threshold !== null)?.threshold ?? null, units: UNITS,
    arms, comparisons, missing: results.missing,
    provenance: { mixed: results.provenance.length > 1, groups: describeProvenanceGroups(results.provenance) },
  };
}

const points = (v: number, digits = 3): number | null => (Number.isFinite(v) ? Number((100 * v).toFixed(digits)) : null);
const interval = ([lo, hi]: [number, number]): [number, number] | null => (Number.isFinite(lo) && Number.isFinite(hi) ? [points(lo)!, points(hi)!] : null);
const pValue = (p: number): number | null => (Number.isFinite(p) ? Number(p.toPrecision(3)) : null);
/**
 * The MDE in points, rounded once to the 2 decimals every table, verdict and sentence prints: rounding it to 3 first and
 * printing 2 made one comparison read "MDE 0.79" beside "detectable: 0.78" (raw 0.7849…).
 */
const mdePoints = (v: number): number | null => points(v, 2);
/** "[lo, hi]" in NME points, null when there is no interval (one seed). */
export const intervalText = (i: [number, number] | null): string | null => (i ? `[${i[0].toFixed(2)}, ${i[1].toFixed(2)}]` : null);

/** The verdict in words: a difference, equivalence within the margin, inconclusive with its MDE, or not testable. */
export function verdictText(c: PairedComparison): string {
  const r = c.inference;
  switch (r.verdict) {
    case 'b lower': return `${c.arm} lower (better)`;
    case 'b higher': return `${c.arm} higher (worse)`;
    case 'equivalent': return `equivalent within ±${(100 * c.margin).toFixed(2)} points`;
    case 'inconclusive': return `inconclusive (detectable: ${mdePoints(r.mde)?.toFixed(2) ?? '–'} points)`;
    case 'not testable': return `not testable (n = ${r.test.n})`;
  }
}

export function comparisonRow(c: PairedComparison): ComparisonRow {
  const r = c.inference;
  return {
    family: c.family, comparison: c.label, baseline: c.baseline, arm: c.arm, metric: METRIC_LABEL[c.metric], n: r.test.n,
    meanDiff: points(r.test.mean)!, sdDiff: points(r.test.sd), ci95: interval([c.difference.lo, c.difference.hi]),
    pHolm: pValue(r.pHolm), intervalHolm: interval(r.intervalHolm), margin: Number((100 * c.margin).toFixed(3)),
    pTost: pValue(r.pTost), mde: mdePoints(r.mde), verdict: verdictText(c),
  };
}

/** The warning a mixed table carries in its title; '' for a table of one provenance. */
export function mixedProvenanceWarning(t: ExperimentTables): string {
  return t.provenance.mixed ? `MIXED: these runs come from ${t.provenance.groups.length} code versions or kernel sets (--allow-mixed): ${t.provenance.groups.join(' ')}` : '';
}

const thresholdText = (t: ExperimentTables) => (t.threshold === null ? 'threshold' : t.threshold.toFixed(2));

/** Column names with their units (the threshold of FR and AUC included). */
function armColumns(t: ExperimentTables) {
  const thr = thresholdText(t);
  return {
    nmeClean: 'NME % (clean truth)', nmeCleanSoftArgmax: 'NME % (clean truth, soft-argmax)', nme: 'NME % (noisy labels)',
    fr: `FR@${thr} %`, auc: `AUC@${thr}`,
  } as const;
}

/** The arm table for people (Markdown, the CLI): "mean ± sd" cells with units in the headers. */
export function armTableRows(t: ExperimentTables): Row[] {
  const col = armColumns(t);
  return t.arms.map((a) => ({
    arm: a.arm, label: a.label, loss: a.loss, decoder: a.decoder, seeds: a.seeds,
    [col.nmeClean]: metricText(a.nmeClean), [col.nmeCleanSoftArgmax]: metricText(a.nmeCleanSoftArgmax), [col.nme]: metricText(a.nme),
    [col.fr]: metricText(a.fr), [col.auc]: metricText(a.auc, 4), 'ms/step': a.msPerStep === null ? null : Math.round(a.msPerStep),
  }));
}

/** The arm table for machines (CSV): means and sds as separate numeric columns, same units. */
function armCsvRows(t: ExperimentTables): Row[] {
  const col = armColumns(t);
  return t.arms.map((a) => ({
    arm: a.arm, label: a.label, loss: a.loss, decoder: a.decoder, seeds: a.seeds,
    ...Object.fromEntries((['nmeClean', 'nmeCleanSoftArgmax', 'nme', 'fr', 'auc'] as const).flatMap((k) => [[`${col[k]} mean`, a[k].mean], [`${col[k]} sd`, a[k].sd]])),
    'ms/step': a.msPerStep,
  }));
}

/** The paired table for people: intervals as "[lo, hi]", units in the headers. */
export function comparisonTableRows(t: ExperimentTables): Row[] {
  return t.comparisons.map((c) => ({
    family: c.family, comparison: c.comparison, metric: c.metric, n: c.n, 'mean diff (points)': c.meanDiff, 'sd of diffs (points)': c.sdDiff,
    '95% CI, uncorrected (points)': intervalText(c.ci95), 'Holm p': c.pHolm, 'Holm interval (points)': intervalText(c.intervalHolm),
    'TOST p': c.pTost, 'margin ± (points)': c.margin, 'MDE (points)': c.mde, verdict: c.verdict,
  }));
}

function comparisonCsvRows(t: ExperimentTables): Row[] {
  return t.comparisons.map(({ ci95, intervalHolm, ...c }) => ({
    ...c, ci95Lo: ci95?.[0] ?? null, ci95Hi: ci95?.[1] ?? null, intervalHolmLo: intervalHolm?.[0] ?? null, intervalHolmHi: intervalHolm?.[1] ?? null,
  }));
}

/** The legend under every experiment table: units, thresholds, what "±" means. */
export function tableLegend(t: ExperimentTables): string {
  const thr = thresholdText(t);
  return `${t.units.nme}. FR@${thr}: % of test faces with NME > ${thr}. AUC@${thr}: area under the CED up to NME ${thr}, 0..1. ${t.units.spread}.`;
}

/** Aggregate the run folders, then write the tables to `<resultsRoot>/tables/<experiment>.{json,csv,md}` (+ `-paired`). */
export function summariseExperiment(
  spec: ScaledSpec, profile: Profile, resultsRoot: string, opts: AggregateOptions = {},
): { tables: ExperimentTables; results: ExperimentResults } {
  const results = aggregateExperiment(resultsRoot, spec, opts);
  const tables = experimentTables(spec, profile, results);
  const dir = path.join(resultsRoot, 'tables');
  writeJsonAtomic(path.join(dir, `${spec.name}.json`), tables);
  const question = `Question: ${spec.question}`;
  const mixed = mixedProvenanceWarning(tables);
  const titled = (title: string) => (mixed ? `${mixed} — ${title}` : title);
  writeTable(armCsvRows(tables), path.join(dir, `${spec.name}`), {
    title: titled(`${spec.title} — ${profileLabel(profile)}`), description: question, note: tableLegend(tables), display: armTableRows(tables),
  });
  if (tables.comparisons.length) writeTable(comparisonCsvRows(tables), path.join(dir, `${spec.name}-paired`), {
    title: titled(`${spec.title}: paired differences over seeds — ${profileLabel(profile)}`), description: question, display: comparisonTableRows(tables), digits: 3,
    note: `${UNITS.differences}. Holm-adjusted p and intervals within each family (primary: pre-registered; secondary: the rest, per metric); ` +
      '"equivalent" only when TOST rejects ±margin at α/m; MDE = minimum detectable effect at 80% power; one seed: not testable.',
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
