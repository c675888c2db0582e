/** Deterministic random training batches for trainer tests (64 px images, 98 coordinate targets, batch 2). */
import type { BatchProvider } from '../../src/train/trainer';
import type { Batch } from '../../src/data/loader';
import { Rng } from '../../src/util/random';

/** Batch `step` depends only on (`seed`, step), so an interrupted and an uninterrupted run see the same data. */
export function randomBatches(seed: number, onGet?: (step: number) => void): BatchProvider {
  const S = 64, N = 98, B = 2;
  return {
    async get(step: number): Promise<Batch> {
      onGet?.(step);
      const r = Rng.derive(seed, step);
      const images = Float32Array.from({ length: B * S * S * 3 }, () => r.uniform(-1, 1));
      const targets = Float32Array.from({ length: B * N * 2 }, () => r.uniform(-0.6, 0.6));
      return { size: B, indices: new Int32Array(B), images, targets, visible: new Float32Array(B * N).fill(1) };
    },
    async close() {},
  };
}

/** A progress reporter that prints nothing. */
export const quietProgress = { update() {}, message() {}, done() {} };
