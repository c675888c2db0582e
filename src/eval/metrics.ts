/**
 * Landmark metrics exactly as the official code (lib/metric/nme.py, fr_and_auc.py; docs/star-reference.md §4):
 * NME per image with a normalising distance between two point groups, and the CED curve, failure rate and AUC
 * on numpy's `arange(0, thr + 1e-4, 1e-4)` grid with SciPy 1.10 `simps` (even='avg'). Plain JS numbers in
 * float64; no tfjs.
 */

/** A landmark set: N points as (x, y). */
export type Points = ArrayLike<readonly [number, number] | number[]>;

/**
 * Normalisation: the distance between the mean of the `left` points and the mean of the `right` points
 * (inter-ocular: outer eye corners; inter-pupil: pupils or eye-contour means). Supplied by the landmark scheme.
 */
export interface NormIndices {
  left: number[];
  right: number[];
}

function centroid(pts: Points, idx: number[], what: string): [number, number] {
  if (idx.length === 0) throw new Error(`nme: normalisation group '${what}' is empty`);
  let x = 0;
  let y = 0;
  for (const i of idx) {
    if (!(i >= 0 && i < pts.length) || !Number.isInteger(i)) throw new Error(`nme: normalisation index ${i} (${what}) outside 0..${pts.length - 1}`);
    x += pts[i][0];
    y += pts[i][1];
  }
  return [x / idx.length, y / idx.length];
}

/**
 * NME of one image: mean over (visible) landmarks of ‖pred − gt‖ / ‖mean(gt[left]) − mean(gt[right])‖.
 * `visible` (optional, length N): landmarks with false/0 are left out of the mean (the normalising distance always
 * uses the ground-truth points, as the official code does).
 */
export function nme(pred: Points, gt: Points, norm: NormIndices, visible?: ArrayLike<boolean | number>): number {
  if (pred.length !== gt.length) throw new Error(`nme: pred has ${pred.length} points, gt has ${gt.length}`);
  if (visible && visible.length !== gt.length) throw new Error(`nme: visible has ${visible.length} entries, gt has ${gt.length} points`);
  const [lx, ly] = centroid(gt, norm.left, 'left');
  const [rx, ry] = centroid(gt, norm.right, 'right');
  const dNorm = Math.hypot(lx - rx, ly - ry);
  if (!(dNorm > 0)) throw new Error(`nme: normalising distance is ${dNorm} (left and right groups coincide)`);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < gt.length; i++) {
    if (visible && !visible[i]) continue;
    sum += Math.hypot(pred[i][0] - gt[i][0], pred[i][1] - gt[i][1]);
    count++;
  }
  if (count === 0) throw new Error('nme: no visible landmark');
  return sum / count / dNorm;
}

/** NME for each image of a batch. */
export function nmePerImage(pred: Points[], gt: Points[], norm: NormIndices, visible?: ArrayLike<boolean | number>[]): number[] {
  if (pred.length !== gt.length) throw new Error(`nmePerImage: ${pred.length} predictions vs ${gt.length} ground truths`);
  return pred.map((p, b) => nme(p, gt[b], norm, visible?.[b]));
}

/** numpy `arange(0, thr + 1e-4, 1e-4)` in float64: length ceil((thr + 1e-4)/1e-4), x_i = i·1e-4. */
export function cedGrid(threshold: number): number[] {
  if (!(threshold > 0) || !Number.isFinite(threshold)) throw new Error(`threshold must be a finite number > 0, got ${threshold}`);
  const step = 1e-4;
  const n = Math.ceil((threshold + step - 0) / step);
  return Array.from({ length: n }, (_, i) => 0 + i * step);
}

/** Cumulative error distribution on the official grid: y(x) = #(NME <= x)/n. */
export function cedCurve(nmes: number[], threshold: number): { x: number[]; y: number[] } {
  if (nmes.length === 0) throw new Error('cedCurve: no NME values (no face was evaluated: an empty dataset or limit?); the CED, failure rate and AUC need at least one');
  if (nmes.some((v) => Number.isNaN(v))) throw new Error('cedCurve: NME values contain NaN');
  const x = cedGrid(threshold);
  const sorted = [...nmes].sort((a, b) => a - b);
  let k = 0;
  const y = x.map((xi) => {
    while (k < sorted.length && sorted[k] <= xi) k++;
    return k / sorted.length;
  });
  return { x, y };
}

/** Failure rate as the official code: 1 − CED at the last grid point (0.0501 for thr 0.05!), unrounded. */
export function failureRate(nmes: number[], threshold: number): number {
  const { y } = cedCurve(nmes, threshold);
  return 1 - y[y.length - 1];
}

/** SciPy's `_basic_simpson` with sample points x, over intervals [start, stop) in steps of 2. */
function basicSimpson(y: number[], x: number[], start: number, stop: number): number {
  let result = 0;
  for (let i = start; i < stop; i += 2) {
    const h0 = x[i + 1] - x[i];
    const h1 = x[i + 2] - x[i + 1];
    const hsum = h0 + h1;
    const hprod = h0 * h1;
    const h0divh1 = h0 / h1;
    result += (hsum / 6) * (y[i] * (2 - 1 / h0divh1) + y[i + 1] * ((hsum * hsum) / hprod) + y[i + 2] * (2 - h0divh1));
  }
  return result;
}

/** `scipy.integrate.simps(y, x)` of SciPy 1.10 (even='avg' when the number of intervals is odd). */
export function simpson(y: number[], x: number[]): number {
  const N = y.length;
  if (x.length !== N) throw new Error(`simpson: ${N} values vs ${x.length} sample points`);
  if (N < 2) return 0;
  if (N === 2) return 0.5 * (x[1] - x[0]) * (y[0] + y[1]);
  if (N % 2 === 1) return basicSimpson(y, x, 0, N - 2);
  // Even number of points: average of (Simpson on the first N−2 intervals + trapezoid on the last) and
  // (trapezoid on the first + Simpson on the rest).
  const last = 0.5 * (x[N - 1] - x[N - 2]) * (y[N - 1] + y[N - 2]);
  const first = 0.5 * (x[1] - x[0]) * (y[1] + y[0]);
  const a = basicSimpson(y, x, 0, N - 3);
  const b = basicSimpson(y, x, 1, N - 2);
  return (a + b) / 2 + (last + first) / 2;
}

/** AUC as the official code: simps(CED, grid)/threshold, unrounded (the official prints 6 decimals). */
export function areaUnderCurve(nmes: number[], threshold: number): number {
  const { x, y } = cedCurve(nmes, threshold);
  return simpson(y, x) / threshold;
}
