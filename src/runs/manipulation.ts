/**
 * The regime's manipulation check (issue 17): the baseline's error against the CLEAN truth along the true contour
 * tangent must grow with the injected ambiguity; if it does not, the benchmark still gives STAR nothing to fix. Read
 * from a run's distribution-stats.json (per landmark RMS error along the tangent / normal, crop px, method's decoder).
 */
import { readDistributionStats } from './folder';

export interface TangentError {
  /** Mean over the landmarks of the RMS error along the true tangent / normal (crop px). */
  tangent: number;
  normal: number;
  landmarks: number;
}

/** RMS clean-truth errors along the tangent and normal, averaged over `landmarks` (e.g. the contour 0–32). */
export function tangentError(runDir: string, landmarks: readonly number[]): TangentError {
  const d = readDistributionStats(runDir);
  if (!d) throw new Error(`${runDir}: no distribution-stats.json (a finished run on synthetic data writes one)`);
  const pick = (xs: (number | null)[]) => landmarks.map((i) => xs[i]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const t = pick(d.errTangent);
  const n = pick(d.errNormal);
  if (t.length === 0) throw new Error(`${runDir}: no tangent errors for the requested landmarks (real data has no tangents)`);
  const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
  return { tangent: mean(t), normal: mean(n), landmarks: t.length };
}
