/**
 * Evaluation of a paper-preset model on the CPU (issue 18 target 3): the project's evaluation (src/eval/evaluate.ts,
 * as `star evaluate` runs it: forward passes of 16 faces inside one tf.tidy, decoding, metrics, distributions,
 * records) over synthetic test faces at 256 px, on the backend the ladder picks for that workload (host: the batch-16
 * forward needs ≈ 12 GiB of tensors). Before the host backend this died inside wasm with "memory access out of bounds".
 * The weights are the preset's initialisation (a trained paper model is not needed to show that evaluation runs; its
 * NME is meaningless and printed only as a sanity value).
 *   node --import tsx bench/paper-eval.ts [--faces 32] [--batch 16] [--backend host|wasm|...]
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendSummary, initBackend, type BackendChoice } from 'tfjs-wasm-train';
import { createCodec } from '../src/data/codec';
import { WFLW98 } from '../src/data/schemes';
import { resolveSyntheticConfig } from '../src/data/synthetic/config';
import { syntheticDataset } from '../src/data/synthetic/dataset';
import { evaluate } from '../src/eval/evaluate';
import { modelConfig } from '../src/model/config';
import { modelWorkload } from '../src/model/footprint';
import { buildHourglass } from '../src/model/hourglass';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    console.log('node --import tsx bench/paper-eval.ts [--faces 32] [--batch 16] [--backend NAME]: evaluate a paper-preset model on the CPU');
    return;
  }
  const faces = Number(option('--faces') ?? 32);
  const batch = Number(option('--batch') ?? 16);
  const backend = option('--backend') as BackendChoice | undefined;
  const cfg = modelConfig('paper');
  const workload = modelWorkload(cfg, { evalBatch: batch, label: `evaluating the paper preset, batch ${batch}` });
  const info = await initBackend({ ...(backend ? { backend } : {}), workload, quiet: true });
  console.log(formatBackendSummary(info));
  const data = await syntheticDataset(resolveSyntheticConfig({ seed: 1, imageSize: 256, counts: { train: 0, val: 0, test: faces } }), 'test');
  const model = buildHourglass(cfg, { seed: 1, scheme: WFLW98 });
  const codec = createCodec(WFLW98, { inputSize: cfg.inputSize, heatmapSize: cfg.heatmapSize });
  const t0 = performance.now();
  const r = await evaluate(model, data, { codec, batchSize: batch, distributions: true, records: true });
  const s = (performance.now() - t0) / 1000;
  const m = process.memoryUsage();
  console.log(`${r.labels.n} faces in ${s.toFixed(1)} s (${(s / Math.ceil(r.labels.n / batch)).toFixed(1)} s per batch of ${batch}); ` +
    `NME ${(100 * r.labels.nme).toFixed(2)}% (untrained weights); rss ${(m.rss / 2 ** 20).toFixed(0)} MB, ` +
    `tensors ${tf.memory().numTensors}; load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (${os.cpus().length} CPUs)`);
  model.params.dispose();
}

main().catch((e) => { console.error(e instanceof Error ? e.stack : e); process.exit(1); });
