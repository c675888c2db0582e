/**
 * The benchmark network (toolchain.md "wasm cannot train a conv net"): 6 conv layers, ~152.7k parameters,
 * 128 px input → 32×32×98 heatmaps, ReLU between layers. bench/torch_nets.py (--net convnet) builds the identical network.
 *
 *   conv3×3/2  3→32 · conv3×3/2 32→64 · conv3×3 64→64 · conv3×3 64→64 · conv3×3 64→88 · conv1×1 88→98
 *
 * bench/nets.ts wraps it (and the project's hourglass presets) for the training-step benchmark.
 */
import * as tf from '@tensorflow/tfjs-core';
import { convBias } from 'tfjs-wasm-train';

/** What the training-step benchmark needs from a network. */
export interface BenchNet {
  name: string;
  /** Trainable variables (their count is reported). */
  variables: tf.Variable[];
  /** Input [B,S,S,3] → heatmaps [B,h,w,N]. Called inside the optimizer's gradient scope. */
  forward(x: tf.Tensor4D): tf.Tensor4D;
  /** Heatmap side and channel count for a given input side. */
  outputShape(inputSize: number): [number, number, number];
}

export interface BenchNetOptions { inputSize: number; seed: number }

export type BenchNetBuilder = (o: BenchNetOptions) => BenchNet;

export const CONVNET_LAYERS: ReadonlyArray<{ k: number; s: number; cin: number; cout: number; relu: boolean }> = [
  { k: 3, s: 2, cin: 3, cout: 32, relu: true },
  { k: 3, s: 2, cin: 32, cout: 64, relu: true },
  { k: 3, s: 1, cin: 64, cout: 64, relu: true },
  { k: 3, s: 1, cin: 64, cout: 64, relu: true },
  { k: 3, s: 1, cin: 64, cout: 88, relu: true },
  { k: 1, s: 1, cin: 88, cout: 98, relu: false },
];

export const buildConvNet: BenchNetBuilder = ({ seed }) => {
  const layers = CONVNET_LAYERS.map((l, i) => ({
    ...l,
    // He-normal weights, zero biases (same scheme as the torch script; values need not match, shapes and cost do).
    w: tf.variable(tf.randomNormal([l.k, l.k, l.cin, l.cout], 0, Math.sqrt(2 / (l.k * l.k * l.cin)), 'float32', seed + i),
      true, `convnet/${i}/w`) as tf.Variable<tf.Rank.R4>,
    b: tf.variable(tf.zeros([l.cout]), true, `convnet/${i}/b`),
  }));
  return {
    name: 'convnet6',
    variables: layers.flatMap((l) => [l.w, l.b]),
    forward: (x) => {
      let h: tf.Tensor4D = x;
      for (const l of layers) {
        // The library's conv + bias op (one kernel on wasm with the native addon; conv2d + add elsewhere), as PyTorch's nn.Conv2d.
        const y = convBias(h, l.w, l.b as tf.Tensor1D, l.s, 'same');
        h = l.relu ? tf.relu(y) : y;
      }
      return h;
    },
    outputShape: (s) => [Math.ceil(s / 4), Math.ceil(s / 4), 98],
  };
};

export function paramCount(vars: tf.Variable[]): number {
  return vars.reduce((n, v) => n + v.size, 0);
}
