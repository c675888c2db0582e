/**
 * Coordinate conventions, defined once for the whole project.
 *
 * Tensor layout: NHWC everywhere (tfjs' native layout). Images are `[B, H, W, 3]`, heatmaps `[B, H, W, N]`
 * (N landmarks), landmark sets `[B, N, 2]` holding `(x, y)`.
 *
 * Three coordinate frames:
 * - image pixels: the original photo, x to the right, y down, pixel centres at integers (0-based).
 * - crop pixels: the model input of size S x S (e.g. 256 or 128), same orientation, pixel centres at integers.
 * - the STAR grid of a heatmap of size W x H: `x_j = 2j/(W-1) - 1`, `y_i = 2i/(H-1) - 1` (align-corners style,
 *   official `_make_grid`), so the first and last heatmap pixel centres sit at -1 and +1.
 *
 * Crop pixels map to heatmap pixels by the factor `W/S` with pixel *centres* aligned:
 * `u = (x + 0.5) * W/S - 0.5` (the `consistent` convention, exact for the model's strided down-sampling).
 * The official label convention `(2x+1)/S - 1` (align_corners=False on the crop) is also provided for parity:
 * it differs from the grid by a fraction of a heatmap pixel, which is the official codec's round-trip bias.
 */

/** Heatmap pixel index (may be fractional) -> STAR grid coordinate. */
export function heatmapPixelToGrid(u: number, size: number): number {
  return (2 * u) / (size - 1) - 1;
}

/** STAR grid coordinate -> heatmap pixel index (fractional). */
export function gridToHeatmapPixel(g: number, size: number): number {
  return ((g + 1) * (size - 1)) / 2;
}

/** Crop pixel -> heatmap pixel with pixel centres aligned (`consistent` convention). */
export function cropPixelToHeatmapPixel(x: number, cropSize: number, heatmapSize: number): number {
  return ((x + 0.5) * heatmapSize) / cropSize - 0.5;
}

/** Heatmap pixel -> crop pixel with pixel centres aligned (`consistent` convention). */
export function heatmapPixelToCropPixel(u: number, cropSize: number, heatmapSize: number): number {
  return ((u + 0.5) * cropSize) / heatmapSize - 0.5;
}

/** Crop pixel -> STAR grid of the heatmap (`consistent`: the loss target lies where the Gaussian target peaks). */
export function cropPixelToGrid(x: number, cropSize: number, heatmapSize: number): number {
  return heatmapPixelToGrid(cropPixelToHeatmapPixel(x, cropSize, heatmapSize), heatmapSize);
}

/** STAR grid of the heatmap -> crop pixel (`consistent`). */
export function gridToCropPixel(g: number, cropSize: number, heatmapSize: number): number {
  return heatmapPixelToCropPixel(gridToHeatmapPixel(g, heatmapSize), cropSize, heatmapSize);
}

/** Official label convention (align_corners=False on the crop): `(2x+1)/S - 1`, clamped to [-1, 1]. */
export function cropPixelToOfficialLabel(x: number, cropSize: number): number {
  return Math.min(1, Math.max(-1, (2 * x + 1) / cropSize - 1));
}

/** Official decode back to the crop (`evaluate.py`): `((p + 1) * S - 1) / 2`. */
export function officialLabelToCropPixel(p: number, cropSize: number): number {
  return ((p + 1) * cropSize - 1) / 2;
}

/** The STAR grid axis of length `size` as a Float32Array (the same numbers the loss uses on-device). */
export function gridAxis(size: number): Float32Array {
  const a = new Float32Array(size);
  for (let i = 0; i < size; i++) a[i] = heatmapPixelToGrid(i, size);
  return a;
}
