/**
 * Figure data from the per-landmark summaries our evaluation writes (distribution-stats.json): the error split along
 * the true tangent/normal per part, quantiles, and the paper's eye corners (tools/analysis_motivation.py,
 * star-reference.md §9). The distributions themselves come from the per-prediction records (distributions.ts).
 */
import type { LandmarkDistributionStats } from '../../eval/evaluate';

/** The paper's eye-corner indices (WFLW-98) for the contour-vs-eye-corner comparison. */
export const EYE_CORNERS_WFLW = [60, 64, 68, 72];

/** Value at quantile q (linear interpolation between order statistics, like numpy's default). */
export function quantile(xs: number[], q: number): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const p = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(p);
  const hi = Math.ceil(p);
  return s[lo] + (s[hi] - s[lo]) * (p - lo);
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
