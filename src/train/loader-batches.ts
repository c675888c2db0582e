/**
 * Adapts the data loader (src/data/loader.ts: epochs of seeded permutations, prepared in worker threads) to the
 * trainer's step-indexed BatchProvider. Step k is batch (k mod E) of epoch floor(k / E), E = batches per epoch, so
 * a resumed run sees exactly the batches an uninterrupted run would have seen.
 */
import type { FaceDataset } from '../data/dataset';
import type { HeatmapCodec } from '../data/codec';
import type { AugmentConfig } from '../data/augment';
import { createLoader, type Batch } from '../data/loader';
import type { BatchProvider } from './trainer';

export interface BatchOptions {
  codec: HeatmapCodec;
  augment: Partial<AugmentConfig>;
  seed: number;
  batchSize: number;
  /** Gaussian heatmap targets (heatmap losses). */
  heatmaps: boolean;
  /** AAM targets: the Gaussian point maps (as `heatmaps`) and edge maps (codec created with edgeMaps: true). */
  aam?: boolean;
  /** Worker threads preparing batches (0 = on the training thread). */
  workers: number;
}

export function loaderBatchProvider(data: FaceDataset, o: BatchOptions): BatchProvider & { batchesPerEpoch: number } {
  const loader = createLoader(data, {
    codec: o.codec, batchSize: o.batchSize, seed: o.seed, augment: o.augment, heatmaps: o.heatmaps || !!o.aam, edgemaps: !!o.aam,
    workers: o.workers, shuffle: true, dropLast: true,
  });
  const perEpoch = loader.batchesPerEpoch;
  if (perEpoch < 1) throw new Error(`${data.name}: ${data.length} samples are fewer than one batch of ${o.batchSize}`);
  let iter: AsyncGenerator<Batch> | undefined;
  let nextStep = -1;
  const open = async (step: number) => {
    await iter?.return(undefined);
    iter = loader.epoch(Math.floor(step / perEpoch));
    for (let skip = step % perEpoch; skip > 0; skip--) await iter.next();
    nextStep = step;
  };
  return {
    batchesPerEpoch: perEpoch,
    async get(step: number): Promise<Batch> {
      if (!iter || step !== nextStep || step % perEpoch === 0) await open(step);
      const r = await iter!.next();
      if (r.done) throw new Error(`loader ended early at step ${step}`);
      nextStep = step + 1;
      return r.value;
    },
    async close() {
      await iter?.return(undefined);
      await loader.close();
    },
  };
}
