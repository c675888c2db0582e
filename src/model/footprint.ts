/**
 * How many tensor bytes a hourglass holds at once, from its config and batch alone (no backend needed): the backend
 * ladder (tfjs-wasm-train `initBackend({ workload })`) picks the host backend when a model would not fit the wasm
 * module's 32-bit heap (the paper preset at batch 8 needs several times that heap; evaluation of it at batch 16 failed
 * inside wasm with "memory access out of bounds").
 *
 * The count walks src/model/hourglass.ts layer by layer and adds every op's output, per sample: in training the tape
 * keeps the forward tensors until the backward pass has used them, and evaluation runs the forward inside one tf.tidy,
 * which keeps them too. Checked against tf.profile's peak bytes of real steps (test/model-footprint.test.ts).
 */
import type { HourglassConfig } from './config';

/** Float32 elements of every forward-pass output for one sample, and the parameter count (trainable + BN buffers). */
export function forwardElements(cfg: HourglassConfig): { activations: number; params: number } {
  let act = 0;
  let params = 0;
  const C = cfg.channels;
  const N = cfg.numPoints;
  const E = cfg.numEdges;
  const cc = cfg.coordConv ? 3 : 0;
  const conv = (k: number, cin: number, cout: number, px: number) => {
    params += k * k * cin * cout + cout;
    act += px * cout;
  };
  // BN + ReLU: its output (the fused kernel; tf ops add the normalised map and a ReLU: counted as 2).
  const bnRelu = (c: number, px: number) => {
    params += 4 * c;
    act += 2 * px * c;
  };
  const res = (cin: number, cout: number, px: number) => {
    const mid = cout / 2;
    bnRelu(cin, px); conv(1, cin, mid, px);
    bnRelu(mid, px); conv(3, mid, mid, px);
    bnRelu(mid, px); conv(1, mid, cout, px);
    if (cin !== cout) conv(1, cin, cout, px);
    act += px * cout; // the residual sum
  };
  const hg = (depth: number, side: number) => {
    const px = side * side;
    res(C, C, px);
    act += (px / 4) * C; // max-pool
    res(C, C, px / 4);
    if (depth > 1) hg(depth - 1, side / 2);
    else res(C, C, px / 4);
    res(C, C, px / 4);
    act += 2 * px * C; // up-sampled map (and its half-size intermediate on the concat path) + the sum
  };
  const s = cfg.stemChannels;
  const stemPx = (cfg.inputSize / 2) ** 2;
  conv(7, 3 + cc, s, stemPx);
  if (cc) act += stemPx * s; // the coordinate channels' conv is added to the image's
  bnRelu(s, stemPx);
  res(s, 2 * s, stemPx);
  const h = cfg.heatmapSize;
  const px = h * h;
  act += px * 2 * s; // max-pool
  res(2 * s, 2 * s, px);
  res(2 * s, C, px);
  for (let i = 0; i < cfg.stacks; i++) {
    const last = i === cfg.stacks - 1;
    const extra = cc + (cfg.boundaryChannels && i > 0 ? 2 : 0);
    if (cc) {
      conv(1, C + extra, C, px);
      act += px * C * (extra > cc ? 3 : 1); // sums of the split coordinate / boundary convs
      if (extra > cc) act += px * 6; // the boundary mask and masked grids
    }
    hg(cfg.depth, h);
    res(C, C, px);
    conv(1, C, C, px);
    bnRelu(C, px);
    conv(1, C, N, px);
    if (cfg.heatmapHead !== 'linear') act += 5 * px * N; // instance norm (centred twice, squared, scaled) + ReLU
    if (cfg.aam) {
      conv(1, C, N, px); act += px * N; // point head + sigmoid
      conv(1, C, E, px); act += px * E; // edge head + sigmoid
      act += 4 * px * N; // edge-to-point map, + bias, × point, × heatmap
    }
    if (!last) {
      conv(1, C, C, px); conv(1, N, C, px); act += 2 * px * C;
      if (cfg.aam) { conv(1, N, C, px); conv(1, E, C, px); act += 2 * px * C; }
    }
  }
  return { activations: act, params };
}

/**
 * Peak bytes of one training step: the forward tensors the tape keeps, the backward pass's transient gradients and
 * the loss's own tensors (TRAIN_FACTOR; tf.profile measured a step's peak at the end of its forward pass on the CPU
 * presets: the backward pass frees a layer's tensors as it goes), and parameters, their gradients, Adam's two moments
 * and its three fresh outputs per parameter.
 */
export const TRAIN_FACTOR = 1.2;

export function trainingStepBytes(cfg: HourglassConfig, batch: number): number {
  const { activations, params } = forwardElements(cfg);
  return 4 * (TRAIN_FACTOR * batch * activations + 7 * params);
}

/** Peak bytes of a forward pass inside one tf.tidy (evaluation, prediction). */
export function inferenceBytes(cfg: HourglassConfig, batch: number): number {
  const { activations, params } = forwardElements(cfg);
  return 4 * (batch * activations + params);
}

/**
 * The workload a run of this model puts on the backend (for tfjs-wasm-train's initBackend): the larger of a training
 * step at `trainBatch` and an evaluation forward at `evalBatch` (validation and tests run inside training runs).
 */
export function modelWorkload(cfg: HourglassConfig, o: { trainBatch?: number; evalBatch?: number; label: string }): { label: string; peakBytes: number } {
  const train = o.trainBatch ? trainingStepBytes(cfg, o.trainBatch) : 0;
  const evaluate = o.evalBatch ? inferenceBytes(cfg, o.evalBatch) : 0;
  return { label: o.label, peakBytes: Math.max(train, evaluate) };
}
