/**
 * Loader throughput and warp choice.
 *   node --import tsx bench/loader.ts [--batches 40] [--size 128] [--batch 8]
 * 1. Warp: our bilinear warpAffine on raw buffers vs sharp's affine (raw in, raw out) for 64/128/256 px crops
 *    from a 256x256 source (ms per crop, median of repeats). TIMING ONLY for sharp: placing sharp's output canvas
 *    exactly on our crop needs extra offset bookkeeping (its canvas is the transformed input's bounding box, and
 *    its extract runs before the affine), which we did not build because ours was faster at every size and is
 *    synchronous (usable inside workers without a libvips thread pool per worker).
 * 2. Loader: batches/s at B=8, S=128, official augmentation, WFLW-98 targets (+ optional heatmaps), for 0/1/2 workers,
 *    in-memory pixels (SharedArrayBuffer) of 160x160 synthetic-looking faces. Worker start-up is excluded
 *    (first batch not timed). Numbers depend on the machine and on other load: print them, don't assert them.
 */
import sharp from 'sharp';
import { createLoader } from '../src/data/loader';
import { createCodec } from '../src/data/codec';
import { arrayDataset } from '../src/data/dataset';
import { WFLW98 } from '../src/data/schemes';
import { cropMatrix, warpAffine } from '../src/data/crop';
import { sampleRng } from '../src/data/augment';
import type { Sample } from '../src/data/sample';

const arg = (k: string, d: number) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? Number(process.argv[i + 1]) : d; };
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function benchWarp(): Promise<void> {
  const W = 256;
  const r = sampleRng(1, 0, 0);
  const src = { data: new Uint8Array(W * W * 3).map(() => Math.floor(r() * 256)), width: W, height: W, channels: 3 as const };
  for (const S of [64, 128, 256]) {
    const m = cropMatrix({ center: [128, 128], scale: 1.0 }, S, { rotation: 0.3, scale: 1.05 });
    const ours: number[] = [], sh: number[] = [];
    const out = new Float32Array(S * S * 3);
    for (let k = 0; k < 15; k++) {
      let t = performance.now();
      warpAffine(src, m, S, out);
      ours.push(performance.now() - t);
      t = performance.now();
      // sharp: affine takes the forward 2x2 matrix; output placement via idx/idy offsets, then extract S x S.
      await sharp(Buffer.from(src.data.buffer), { raw: { width: W, height: W, channels: 3 } })
        .affine([m.a, m.b, m.c, m.d], { interpolator: 'bilinear', background: '#000', odx: m.tx, ody: m.ty })
        .raw().toBuffer();
      sh.push(performance.now() - t);
    }
    console.log(`warp ${S}px: ours ${median(ours).toFixed(2)} ms/crop, sharp affine (timing only) ${median(sh).toFixed(2)} ms/crop`);
  }
}

async function benchLoader(): Promise<void> {
  const S = arg('size', 128), B = arg('batch', 8), nb = arg('batches', 40);
  const n = B * (nb + 2);
  const src = 160;
  const r = sampleRng(2, 0, 0);
  const samples: Sample[] = Array.from({ length: n }, (_, i) => {
    const data = new Uint8Array(new SharedArrayBuffer(src * src * 3)).map(() => Math.floor(r() * 256));
    return {
      id: `b${i}`, scheme: WFLW98.name, pixels: { data, width: src, height: src, channels: 3 },
      landmarks: Array.from({ length: 98 }, (_, k) => [80 + 40 * Math.cos(k / 15), 80 + 40 * Math.sin(k / 15)] as [number, number]),
      box: { center: [80, 80], scale: 0.5 },
    };
  });
  const ds = arrayDataset('bench', WFLW98, samples);
  const codec = createCodec(WFLW98, { inputSize: S });
  for (const heatmaps of [false, true]) {
    for (const workers of [0, 1, 2]) {
      const l = createLoader(ds, { codec, batchSize: B, seed: 1, workers, heatmaps });
      let k = 0, t0 = 0;
      for await (const b of l.epoch(0)) {
        void b;
        if (k === 1) t0 = performance.now(); // exclude worker start-up and the first batch
        k++;
      }
      const dt = (performance.now() - t0) / 1000;
      console.log(`loader S=${S} B=${B} aug=official heatmaps=${heatmaps} workers=${workers}: ${((k - 1) / dt).toFixed(1)} batches/s (${k - 1} batches)`);
      await l.close();
    }
  }
}

(async () => {
  await benchWarp();
  await benchLoader();
})();
