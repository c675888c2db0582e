/**
 * Figure data for the paper's motivation analysis (tools/analysis_motivation.py, star-reference.md §9) from the
 * per-run files our evaluation writes: per-landmark λmax/λmin grouped by facial part, contour vs eye corners,
 * easy vs hard images, and the error split along the true tangent/normal. Plain numbers in, plain numbers out.
 */
import type { LandmarkDistributionStats } from '../../eval/evaluate';

/** The paper's eye-corner indices (WFLW-98) for the contour-vs-eye-corner comparison. */
export const EYE_CORNERS_WFLW = [60, 64, 68, 72];
export const CONTOUR_WFLW = Array.from({ length: 33 }, (_, i) => i);

const mean = (xs: number[]) => {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
};

/** Per-part series of (landmark index, value), in the order of `parts` (one legend entry per part). */
export function seriesByPart(values: number[], parts: Record<string, number[]>): { part: string; index: number[]; value: (number | null)[] }[] {
  return Object.entries(parts).map(([part, idx]) => {
    for (const i of idx) if (i < 0 || i >= values.length) throw new Error(`seriesByPart: part "${part}" index ${i} outside 0..${values.length - 1}`);
    return { part, index: idx, value: idx.map((i) => (Number.isFinite(values[i]) ? values[i] : null)) };
  });
}

/** Mean of `values` over the indices of each part (non-finite entries skipped). */
export function meanByPart(values: number[], parts: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(Object.entries(parts).map(([p, idx]) => [p, mean(idx.map((i) => values[i]))]));
}

/** The paper's contour vs eye-corner comparison of mean λmax/λmin. */
export function contourVsEyeCorners(ratio: number[], contour = CONTOUR_WFLW, corners = EYE_CORNERS_WFLW): { contour: number; eyeCorners: number } {
  return { contour: mean(contour.map((i) => ratio[i])), eyeCorners: mean(corners.map((i) => ratio[i])) };
}

/** Value at quantile q (linear interpolation between order statistics, like numpy's default). */
export function quantile(xs: number[], q: number): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const p = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(p);
  const hi = Math.ceil(p);
  return s[lo] + (s[hi] - s[lo]) * (p - lo);
}

/**
 * Easy vs hard images by NME quantiles (the paper used fixed NME thresholds on WFLW; on a different benchmark fixed
 * thresholds would select arbitrary fractions, so we split at quantiles): easy = NME <= q-quantile, hard = NME >=
 * (1 − q)-quantile. Returns the mean per-image anisotropy of each group.
 */
export function easyHardSplit(imageRatio: number[], nme: number[], q = 0.25): { easy: { n: number; meanRatio: number; maxNme: number }; hard: { n: number; meanRatio: number; minNme: number } } {
  if (imageRatio.length !== nme.length) throw new Error(`easyHardSplit: ${imageRatio.length} image ratios but ${nme.length} NMEs (must be the same test images)`);
  if (!(q > 0 && q <= 0.5)) throw new Error(`easyHardSplit: q must be in (0, 0.5], got ${q}`);
  const lo = quantile(nme, q);
  const hi = quantile(nme, 1 - q);
  const easy = nme.map((v, i) => [v, imageRatio[i]]).filter(([v]) => v <= lo);
  const hard = nme.map((v, i) => [v, imageRatio[i]]).filter(([v]) => v >= hi);
  return {
    easy: { n: easy.length, meanRatio: mean(easy.map((e) => e[1])), maxNme: lo },
    hard: { n: hard.length, meanRatio: mean(hard.map((e) => e[1])), minNme: hi },
  };
}

/** Per-part RMS error along the true tangent and normal (crop px), from distribution-stats per-landmark RMS values. */
export function tangentNormalByPart(stats: Pick<LandmarkDistributionStats, 'errTangent' | 'errNormal'>, parts: Record<string, number[]>): { part: string; tangent: number; normal: number }[] {
  // Per-landmark values are RMS; pool them as RMS again (root of the mean of squares) over the part.
  const rms = (xs: number[]) => {
    const f = xs.filter(Number.isFinite);
    return f.length ? Math.sqrt(f.reduce((a, x) => a + x * x, 0) / f.length) : NaN;
  };
  return Object.entries(parts).map(([part, idx]) => ({ part, tangent: rms(idx.map((i) => stats.errTangent[i])), normal: rms(idx.map((i) => stats.errNormal[i])) }));
}
