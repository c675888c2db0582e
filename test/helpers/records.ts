/** Hand-made per-prediction records: two faces × three landmarks (crop 64 px, heatmap 16 px: 1 heatmap px = 4 crop px). */
import { recordBuilder, type PredictionRecords } from '../../src/analysis/prediction-records';

/**
 * Per face: landmark 0 λ (4, 1) px², axis 0°, tangent 0°, error (1, 0) px; landmark 1 λ (1, 1), axis 45°, tangent 90°,
 * error (0, 2); landmark 2 λ (9, 0), no tangent, error (f/4, 0). `shift` adds to every x error (another seed).
 */
export function handRecords(opts: { decoder?: 'soft-argmax' | 'argmax-subpixel'; shift?: number; idPrefix?: string } = {}): PredictionRecords {
  const b = recordBuilder({ dataset: 'hand', scheme: 'three', decoder: opts.decoder ?? 'soft-argmax', truth: 'clean', inputSize: 64, heatmapSize: 16, landmarks: 3 });
  const grid = 7.5 ** -2; // one heatmap px² in STAR grid units² at H = 16
  const dx = 4 * (opts.shift ?? 0);
  for (let f = 0; f < 2; f++) {
    b.add({
      id: `${opts.idPrefix ?? 'face'}-${f}`,
      lambdaMax: [4 * grid, 1 * grid, 9 * grid], lambdaMin: [1 * grid, 1 * grid, 0],
      theta: [0, Math.PI / 4, -Math.PI / 2 + 0.1], meanX: [0, 0, 0], meanY: [0, 0, 0],
      prediction: [14 + dx, 10, 20 + dx, 28, 30 + f + dx, 30], truth: [10, 10, 20, 20, 30, 30],
      tangents: [1, 0, 0, 1, 0, 0],
      nme: 0.1 * (f + 1), nmeLabels: 0.2, iod: 32, attributes: { largepose: f === 1, blur: false }, meta: { yaw: 10 * f },
    });
  }
  return b.finish();
}
