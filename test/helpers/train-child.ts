/** Child process for the signal test: trains a tiny model on random batches until a signal stops it. */
import { initBackend } from 'tfjs-wasm-train';
import { buildHourglass } from '../../src/model/hourglass';
import { modelConfig } from '../../src/model/config';
import { train, type BatchProvider } from '../../src/train/trainer';
import type { Batch } from '../../src/data/loader';
import { makeObjective } from '../../src/train/objective';

(async () => {
  await initBackend({ quiet: true });
  const S = 64, N = 98, B = 2;
  const batch: Batch = { size: B, indices: new Int32Array(B), images: new Float32Array(B * S * S * 3).fill(0.1), targets: new Float32Array(B * N * 2), visible: new Float32Array(B * N).fill(1) };
  // Always ready: the batch promise resolves without the event loop turning, as with a prefetching loader.
  const batches: BatchProvider = { get: async () => batch, close: async () => {} };
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 1 });
  const r = await train(model, makeObjective({ kind: 'star' }), batches, process.argv[2], { steps: 100000, batchSize: B, logEvery: 1, checkpointEvery: 100000, statsEvery: 0, evalEvery: 0 }, {
    progress: { update: (i) => console.log(`step ${i.step}`), message: () => {}, done: () => {} },
  });
  console.log(`interrupted=${r.interrupted} at ${r.finalStep}`);
  process.exit(0);
})();
