/**
 * The regime pilot's two questions, answered from its run folders (notebook 10): is the chosen run length converged
 * (runs/convergence.ts: within 2% of a 2–3× longer run's best validation NME, seed-mean curves, every arm), and does
 * the baseline's clean-truth tangential error on the contour grow with the ambiguity (runs/manipulation.ts)?
 */
import * as fs from 'fs';
import * as path from 'path';
import type { ExperimentData } from './experiment-data';
import { armRunDirs } from './experiment-data';
import { isRunComplete, readProvenance, runDirFor } from '../runs/folder';
import { provenanceDifferences, provenanceKey } from '../runs/provenance';
import { checkFlatness, checkRunLength, seedMeanCurve, validationCurve, type Curve, type FlatnessCheck, type LengthCheck } from '../runs/convergence';
import { tangentError } from '../runs/manipulation';
import { minimumDetectableEffect, pairedT, type PairedT } from '../runs/inference';
import { WFLW98 } from '../data/schemes';
import type { Series } from './plot';

/** One arm of one experiment (the length checks compare runs of two experiments trained on one commit). */
export interface ArmRef {
  experiment: string;
  arm: string;
}

/** One run-length check: each arm's runs at the candidate length against its runs `steps[1] / steps[0]`× longer. */
export interface LengthStage {
  id: string;
  steps: readonly [number, number];
  pairs: ReadonlyArray<{ arm: string; short: ArmRef; long: ArmRef }>;
}

const ARMS = ['a-coord', 'c-star', 'b-coord-value', 'd-star-detach'] as const;
const ref = (experiment: string, arm: string): ArmRef => ({ experiment, arm });

/**
 * The pilot's run-length checks, in the order they ran (src/experiments/regime.ts REGIME_PILOT and
 * src/experiments/specs/regime-length.json, both trained on the pilot's pinned commit): 8,000 steps against 20,000
 * (rejected: A +10.7%, C +9.9% on seed 1), then 20,000 against 40,000, declared before its runs.
 */
export const LENGTH_STAGES: readonly LengthStage[] = [
  // B and D were dropped at 8,000 steps once A and C had rejected that length (regime.ts REGIME_PILOT).
  { id: '8k-vs-20k', steps: [8000, 20000], pairs: ARMS.slice(0, 2).map((a) => ({ arm: a, short: ref('regime-pilot', a), long: ref('regime-pilot', `${a}-long`) })) },
  { id: '20k-vs-40k', steps: [20000, 40000], pairs: ARMS.map((a) => ({ arm: a, short: ref('regime-pilot', `${a}-long`), long: ref('regime-length', `${a}-40k`) })) },
];

export interface LengthRow {
  arm: string;
  check: LengthCheck | null;
  /** Why there is no check (missing runs, or runs of other code or kernels: never compared). */
  missing?: string;
  /** The flatness check instead of a length pair (flatnessChecks). */
  flatness?: FlatnessCheck;
}

/** The seeds an arm finished, from its run folders under `root` (results/). */
export function finishedSeeds(root: string, r: ArmRef): number[] {
  const dir = path.join(root, 'runs', r.experiment);
  if (!fs.existsSync(dir)) return [];
  const prefix = `${r.arm}-s`;
  return fs.readdirSync(dir)
    .filter((d) => d.startsWith(prefix) && /^\d+$/.test(d.slice(prefix.length)) && isRunComplete(path.join(dir, d)))
    .map((d) => Number(d.slice(prefix.length))).sort((a, b) => a - b);
}

/** Why these runs may not be compared (they record different code or kernels), or null when they may. */
function mixedProvenance(dirs: string[]): string | null {
  const provs = dirs.map(readProvenance);
  if (new Set(provs.map((p) => (p ? provenanceKey(p) : 'none recorded'))).size <= 1) return null;
  const first = provs.find((p) => p !== null);
  const other = provs.find((p) => p !== null && first && provenanceKey(p) !== provenanceKey(first));
  const why = first && other ? provenanceDifferences(first, other).join('; ') : 'a run records no provenance';
  return `runs of other code or kernels (${why}): not compared`;
}

/**
 * One stage's check for every arm pair, on the seeds both lengths finished. Runs of different code or kernels are not
 * compared (the row says which differ), whatever experiment they belong to.
 */
export function lengthChecks(root: string, stage: LengthStage, tolerance = 0.02): LengthRow[] {
  const dirOf = (r: ArmRef, seed: number) => runDirFor(root, { name: r.experiment }, { id: r.arm }, seed);
  return stage.pairs.map(({ arm, short, long }) => {
    const longSeeds = finishedSeeds(root, long);
    const seeds = finishedSeeds(root, short).filter((s) => longSeeds.includes(s));
    if (seeds.length === 0) return { arm, check: null, missing: `no seed with both ${short.arm} and ${long.arm} finished` };
    const dirs = seeds.flatMap((s) => [dirOf(short, s), dirOf(long, s)]);
    const mixed = mixedProvenance(dirs);
    if (mixed) return { arm, check: null, missing: mixed };
    const curves = (r: ArmRef) => seeds.map((s) => validationCurve(dirOf(r, s)));
    return { arm, check: checkRunLength(curves(short), curves(long), tolerance) };
  });
}

/** Every stage's check from the committed results (notebook 10). */
export function runLengthChecks(root: string, tolerance = 0.02): Array<{ stage: LengthStage; rows: LengthRow[] }> {
  return LENGTH_STAGES.map((stage) => ({ stage, rows: lengthChecks(root, stage, tolerance) }));
}

/**
 * The flatness check of a grid no longer pilot certifies (src/experiments/regime.ts GRID_FLATNESS), per arm over the
 * seeds it finished; arms with runs of more than one code version or kernel set are refused as in the length checks.
 */
export function flatnessChecks(root: string, experiment: string, arms: readonly string[], rule: { upToFraction: number; tolerance: number }): LengthRow[] {
  return arms.map((arm): LengthRow => {
    const seeds = finishedSeeds(root, { experiment, arm });
    if (seeds.length === 0) return { arm, check: null, missing: 'no finished run' };
    const dirs = seeds.map((s) => runDirFor(root, { name: experiment }, { id: arm }, s));
    const mixed = mixedProvenance(dirs);
    if (mixed) return { arm, check: null, missing: mixed };
    return { arm, check: null, flatness: checkFlatness(dirs.map(validationCurve), rule.upToFraction, rule.tolerance) };
  });
}

/** Seed-mean validation curves (NME %) of every arm that has runs, for one line figure. */
export function validationSeries(d: ExperimentData): Series[] {
  return d.results.arms.filter((a) => a.seeds.length > 0).map((a): Series => {
    const c: Curve = seedMeanCurve(armRunDirs(d, a.arm).map(validationCurve));
    return { name: `${a.label} (${a.seeds.length} seed${a.seeds.length === 1 ? '' : 's'})`, x: c.step, y: c.nme.map((v) => 100 * v) };
  });
}

export interface ManipulationCheck {
  /** Per seed both arms finished: mean RMS clean-truth error along the true contour tangent (crop px). */
  seeds: number[];
  clean: number[];
  ambiguous: number[];
  /** Normal-direction errors, for contrast (the noise is tangential). */
  cleanNormal: number[];
  ambiguousNormal: number[];
  /** Paired test of ambiguous − clean tangent error. */
  test: PairedT;
}

/** The baseline's contour tangent error with clean labels vs with the ambiguous ones (same seeds, same images). */
export function manipulationCheck(d: ExperimentData, cleanArm = 'a-coord-clean', ambiguousArm = 'a-coord'): ManipulationCheck | null {
  return manipulationCheckAt(d.resultsRoot, d.spec.name, cleanArm, ambiguousArm);
}

/** The same check from the run folders alone (the README's line): seeds both arms finished under `root`. */
export function manipulationCheckAt(root: string, experiment: string, cleanArm: string, ambiguousArm: string): ManipulationCheck | null {
  const longSeeds = finishedSeeds(root, { experiment, arm: ambiguousArm });
  const seeds = finishedSeeds(root, { experiment, arm: cleanArm }).filter((s) => longSeeds.includes(s));
  if (seeds.length === 0) return null;
  const contour = WFLW98.parts.contour;
  const errs = (id: string) => seeds.map((s) => tangentError(runDirFor(root, { name: experiment }, { id }, s), contour));
  const [c, a] = [errs(cleanArm), errs(ambiguousArm)];
  return {
    seeds, clean: c.map((e) => e.tangent), ambiguous: a.map((e) => e.tangent), cleanNormal: c.map((e) => e.normal), ambiguousNormal: a.map((e) => e.normal),
    test: pairedT(c.map((e) => e.tangent), a.map((e) => e.tangent)),
  };
}

const signed = (v: number, digits = 3) => `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`;

/**
 * The manipulation check's verdict. It passes on significant growth (paired t over seeds, two-sided `alpha`); a
 * non-significant growth is inconclusive, with the minimum detectable effect at 80% power beside it (the project's rule
 * for every "no difference"), not a failure; it fails when the tangent error did not grow at all.
 */
export function manipulationVerdict(m: ManipulationCheck | null, alpha = 0.05): string {
  if (!m) return 'not measured yet.';
  const perSeed = m.seeds.map((s, i) => `seed ${s} ${signed(m.ambiguous[i] - m.clean[i])}`).join(', ');
  const normal = m.seeds.reduce((sum, _s, i) => sum + m.ambiguousNormal[i] - m.cleanNormal[i], 0) / m.seeds.length;
  const contrast = `the normal-direction error changes by ${signed(normal)} px`;
  if (m.test.n < 2) return `one seed only (ambiguous − clean ${signed(m.test.mean)} crop px): not testable yet.`;
  if (m.test.mean > 0 && m.test.p < alpha) {
    return `passes: the baseline's clean tangent error grows by ${signed(m.test.mean)} crop px with the ambiguity (${perSeed}; p = ${m.test.p.toPrecision(2)}); ${contrast}.`;
  }
  const mde = minimumDetectableEffect(m.test.sd, m.test.n, alpha);
  if (m.test.mean <= 0) {
    return `FAILS: the baseline's clean tangent error does not grow with the ambiguity (${signed(m.test.mean)} crop px; ${perSeed}; ` +
      `minimum detectable effect ${mde.toFixed(2)} px): the benchmark would give STAR nothing to fix.`;
  }
  return `inconclusive: the tangent error grows by ${signed(m.test.mean)} crop px (${perSeed}; p = ${m.test.p.toPrecision(2)}), ` +
    `below what ${m.test.n} seeds detect (minimum detectable effect at 80% power ${mde.toFixed(2)} px); ${contrast}.`;
}

/** One run-length stage's verdict line (notebook 10). */
export function lengthStageVerdict(stage: LengthStage, rows: LengthRow[]): string {
  const steps = (n: number) => n.toLocaleString('en');
  const done = rows.filter((r) => r.check);
  const name = `${steps(stage.steps[0])} vs ${steps(stage.steps[1])} steps`;
  if (done.length === 0) return `${name}: no arm has both lengths finished yet.`;
  if (done.length === rows.length && done.every((r) => r.check!.converged && r.check!.seeds >= 2)) {
    return `${name}: ${steps(stage.steps[0])} is within 2% of the longer run for every arm (largest gap ${Math.max(...done.map((r) => 100 * r.check!.relativeGap)).toFixed(2)}%).`;
  }
  return `${name}: ` + [
    `within 2%: ${done.filter((r) => r.check!.converged).map((r) => r.arm).join(', ') || 'none'}`,
    `beyond it: ${done.filter((r) => !r.check!.converged).map((r) => `${r.arm} (${(100 * r.check!.relativeGap).toFixed(2)}%)`).join(', ') || 'none'}`,
    ...(rows.some((r) => !r.check) ? [`not yet measured: ${rows.filter((r) => !r.check).map((r) => r.arm).join(', ')}`] : []),
    `seeds per measured arm: ${done.map((r) => r.check!.seeds).join('/')}`,
  ].join('; ') + '.';
}

export interface GridLengthDecision {
  /** The grid's run length by the declared rule (src/experiments/regime.ts GRID_STEPS), or null while undecided. */
  steps: 20000 | 40000 | null;
  reason: string;
}

/**
 * The second run-length check's outcome as declared (regime.ts): 20,000 steps if every arm's seeds 1–2 are within 2%
 * of its 40,000-step runs, 40,000 as soon as one arm with both seeds is beyond it (one failing arm decides the rule),
 * undecided otherwise. Runs of other code or kernels never count (lengthChecks refuses them).
 */
export function gridLengthDecision(root: string, tolerance = 0.02): GridLengthDecision {
  const stage = LENGTH_STAGES.find((s) => s.steps[0] === 20000 && s.steps[1] === 40000);
  if (!stage) throw new Error('gridLengthDecision: no 20,000 vs 40,000-step stage in LENGTH_STAGES');
  const rows = lengthChecks(root, stage, tolerance);
  const decided = rows.filter((r) => r.check && r.check.seeds >= 2);
  const pct = (v: number) => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}%`;
  const failing = decided.filter((r) => !r.check!.converged);
  if (failing.length) {
    return { steps: 40000, reason: `${failing.map((r) => `${r.arm} ${pct(r.check!.relativeGap)}`).join(', ')} beyond ${100 * tolerance}% on seeds 1–2` };
  }
  if (decided.length === rows.length) return { steps: 20000, reason: `every arm within ${100 * tolerance}% on seeds 1–2` };
  const open = rows.filter((r) => !(r.check && r.check.seeds >= 2)).map((r) => r.arm);
  return { steps: null, reason: `undecided: ${open.join(', ')} without both seeds at both lengths${decided.length ? `; within so far: ${decided.map((r) => r.arm).join(', ')}` : ''}` };
}
