/**
 * The regime pilot's two questions, answered from its run folders (notebook 10): is the chosen run length converged
 * (runs/convergence.ts: within 2% of a 2.5× longer run's best validation NME, seed-mean curves, every arm), and does
 * the baseline's clean-truth tangential error on the contour grow with the ambiguity (runs/manipulation.ts)?
 */
import type { ExperimentData } from './experiment-data';
import { armRunDirs } from './experiment-data';
import { runDirFor } from '../runs/folder';
import { checkRunLength, seedMeanCurve, validationCurve, type Curve, type LengthCheck } from '../runs/convergence';
import { tangentError } from '../runs/manipulation';
import { pairedT, type PairedT } from '../runs/inference';
import { WFLW98 } from '../data/schemes';
import type { Series } from './plot';

/** The pilot's base arms and their 2.5× longer twins (src/experiments/regime.ts REGIME_PILOT). */
export const PILOT_PAIRS: ReadonlyArray<readonly [string, string]> = [
  ['a-coord', 'a-coord-long'], ['c-star', 'c-star-long'], ['b-coord-value', 'b-coord-value-long'], ['d-star-detach', 'd-star-detach-long'],
];

export interface LengthRow {
  arm: string;
  check: LengthCheck | null;
  /** Why there is no check yet (missing runs). */
  missing?: string;
}

/**
 * The run-length check of every arm pair, on the seeds both lengths finished: `seedsOf(arm)` lists an arm's finished
 * seeds, `dirOf(arm, seed)` gives a run's folder. Shared by the notebook (runLengthChecks) and the README (readme.ts).
 */
export function lengthChecks(seedsOf: (arm: string) => number[], dirOf: (arm: string, seed: number) => string, tolerance = 0.02): LengthRow[] {
  return PILOT_PAIRS.map(([arm, long]) => {
    const seeds = seedsOf(arm).filter((s) => seedsOf(long).includes(s));
    if (seeds.length === 0) return { arm, check: null, missing: `no seed with both ${arm} and ${long} finished` };
    const curves = (id: string) => seeds.map((s) => validationCurve(dirOf(id, s)));
    return { arm, check: checkRunLength(curves(arm), curves(long), tolerance) };
  });
}

/** The run-length check of every arm pair of an experiment's finished runs. */
export function runLengthChecks(d: ExperimentData, tolerance = 0.02): LengthRow[] {
  return lengthChecks((id) => d.results.arms.find((a) => a.arm === id)?.seeds ?? [], (id, s) => runDirFor(d.resultsRoot, d.spec, { id }, s), tolerance);
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
  const seedsOf = (id: string) => d.results.arms.find((a) => a.arm === id)?.seeds ?? [];
  const seeds = seedsOf(cleanArm).filter((s) => seedsOf(ambiguousArm).includes(s));
  if (seeds.length === 0) return null;
  const contour = WFLW98.parts.contour;
  const errs = (id: string) => {
    const dirs = armRunDirs(d, id);
    return seeds.map((s) => tangentError(dirs[seedsOf(id).indexOf(s)], contour));
  };
  const [c, a] = [errs(cleanArm), errs(ambiguousArm)];
  return {
    seeds, clean: c.map((e) => e.tangent), ambiguous: a.map((e) => e.tangent), cleanNormal: c.map((e) => e.normal), ambiguousNormal: a.map((e) => e.normal),
    test: pairedT(c.map((e) => e.tangent), a.map((e) => e.tangent)),
  };
}
