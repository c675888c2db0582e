/**
 * Evaluation subsets of a test face, by protocol, in one place:
 * - WFLW: the six attribute subsets (largepose, expression, illumination, makeup, occlusion, blur), from the sample's
 *   attribute flags (WFLW list columns or the official per-attribute test lists).
 * - 300W: common = LFPW test + HELEN test (554 faces), challenge = iBUG (135), full = both (689) — the standard split
 *   (star-reference.md §6), read from the image path as the official data layout names it
 *   (`300W/{lfpw,helen}/testset/...`, `300W/ibug/...`; the same paths appear in ADNet's tsv files). AFW and the
 *   training sets belong to no test subset.
 */
import { ATTRIBUTES, type Sample } from './sample';

export const W300_SUBSETS = ['common', 'challenge', 'full'] as const;
export type W300Subset = (typeof W300_SUBSETS)[number];
export type SubsetName = (typeof ATTRIBUTES)[number] | W300Subset;
/** Report order: WFLW attributes, then 300W. */
export const SUBSET_NAMES: readonly SubsetName[] = [...ATTRIBUTES, ...W300_SUBSETS];

/** The 300W test subset an image path belongs to, if any (case-insensitive, either path separator). */
export function w300SubsetOfPath(imagePath: string): 'common' | 'challenge' | undefined {
  const parts = imagePath.toLowerCase().split(/[\\/]+/);
  if (parts.includes('ibug')) return 'challenge';
  if ((parts.includes('lfpw') || parts.includes('helen')) && parts.includes('testset')) return 'common';
  return undefined;
}

/** Every evaluation subset `s` belongs to. */
export function subsetsOf(s: Sample): SubsetName[] {
  const out: SubsetName[] = ATTRIBUTES.filter((a) => s.attributes?.[a]);
  if (s.scheme === '300w68' && s.imagePath) {
    const g = w300SubsetOfPath(s.imagePath);
    if (g) out.push(g, 'full');
  }
  return out;
}
