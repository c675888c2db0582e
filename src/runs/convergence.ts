/**
 * Is a run length long enough? The regime's rule (issue 17): on the seed-mean validation curve, the chosen length's
 * best validation NME is within `tolerance` (relative, default 2%) of the best of a run `k`× longer, for every arm.
 * Curves are compared at the steps both evaluate; duplicate entries of one step (a resumed run) keep the last.
 */
import { readValidations } from './folder';

export interface Curve {
  step: number[];
  nme: number[];
}

/** A run's validation curve (NME as a fraction), one value per step. */
export function validationCurve(dir: string): Curve {
  const last = new Map<number, number>();
  for (const r of readValidations(dir)) last.set(r.step, r.val.nme);
  const step = [...last.keys()].sort((a, b) => a - b);
  return { step, nme: step.map((s) => last.get(s)!) };
}

/** Mean over seeds at the steps every curve has (the seed-mean curve). */
export function seedMeanCurve(curves: Curve[]): Curve {
  if (curves.length === 0) return { step: [], nme: [] };
  const common = curves[0].step.filter((s) => curves.every((c) => c.step.includes(s)));
  return {
    step: common,
    nme: common.map((s) => curves.reduce((sum, c) => sum + c.nme[c.step.indexOf(s)], 0) / curves.length),
  };
}

export interface LengthCheck {
  /** Best seed-mean validation NME of the chosen length and of the longer run, and the step it was reached at. */
  best: number;
  bestStep: number;
  bestLong: number;
  bestLongStep: number;
  /** (best − bestLong) / bestLong: how much the longer run still gains, relative. */
  relativeGap: number;
  converged: boolean;
  seeds: number;
}

/** Compare the seed-mean curves of the chosen length and of the longer run (same seeds, paired). */
export function checkRunLength(chosen: Curve[], longer: Curve[], tolerance = 0.02): LengthCheck {
  if (chosen.length === 0 || longer.length === 0) throw new Error('checkRunLength: needs at least one finished run of each length');
  const argmin = (c: Curve) => c.nme.reduce((bi, v, i) => (v < c.nme[bi] ? i : bi), 0);
  const a = seedMeanCurve(chosen);
  const b = seedMeanCurve(longer);
  if (a.step.length === 0 || b.step.length === 0) throw new Error('checkRunLength: the curves share no evaluated step across seeds');
  const [ia, ib] = [argmin(a), argmin(b)];
  const relativeGap = (a.nme[ia] - b.nme[ib]) / b.nme[ib];
  return {
    best: a.nme[ia], bestStep: a.step[ia], bestLong: b.nme[ib], bestLongStep: b.step[ib], relativeGap,
    converged: relativeGap <= tolerance, seeds: Math.min(chosen.length, longer.length),
  };
}

export interface FlatnessCheck {
  /** Best seed-mean validation NME up to `upTo` steps, and over the whole run. */
  bestEarly: number;
  best: number;
  bestStep: number;
  upTo: number;
  /** (bestEarly − best) / best: what the last part of the run still gained, relative. */
  relativeGain: number;
  flat: boolean;
  seeds: number;
}

/**
 * The weaker check for a length no longer pilot certifies (src/experiments/regime.ts GRID_FLATNESS): on the seed-mean
 * curve, the best up to `upToFraction` of the run is within `tolerance` of the run's best. Weaker because the
 * learning-rate steps sit at fractions of the run, so the early part is not a shorter run's curve.
 */
export function checkFlatness(curves: Curve[], upToFraction: number, tolerance = 0.02): FlatnessCheck {
  if (curves.length === 0) throw new Error('checkFlatness: needs at least one finished run');
  if (!(upToFraction > 0 && upToFraction < 1)) throw new Error(`checkFlatness: upToFraction must lie in (0, 1), got ${upToFraction}`);
  const c = seedMeanCurve(curves);
  if (c.step.length === 0) throw new Error('checkFlatness: the curves share no evaluated step across seeds');
  const upTo = upToFraction * c.step[c.step.length - 1];
  let best = 0;
  let early = -1;
  c.nme.forEach((v, i) => {
    if (v < c.nme[best]) best = i;
    if (c.step[i] <= upTo && (early < 0 || v < c.nme[early])) early = i;
  });
  if (early < 0) throw new Error(`checkFlatness: no evaluation at or before step ${upTo}`);
  const relativeGain = (c.nme[early] - c.nme[best]) / c.nme[best];
  return {
    bestEarly: c.nme[early], best: c.nme[best], bestStep: c.step[best], upTo, relativeGain,
    flat: relativeGain <= tolerance, seeds: curves.length,
  };
}
