/**
 * Stacked hourglass heatmap regressor (the official `stackedHGnet_v1` family), functional and NHWC.
 *
 * stem:  [CoordConv] 7x7/2 conv -> BN -> ReLU -> Res(s, 2s) -> maxpool 2 -> Res(2s, 2s) -> Res(2s, C)
 * stack: [CoordConv 1x1] -> hourglass(depth) -> Res(C, C) -> 1x1 conv-BN-ReLU = feature
 *        heads: heatmap = ReLU(InstanceNorm(1x1 conv -> N))        (non-negative, as the STAR loss requires)
 *               [AAM] point = sigmoid(1x1 -> N), edge = sigmoid(1x1 -> E), fusion = heatmap * (E2H(edge) * point)
 *        next input: x + conv(feature) + conv(heatmap) [+ conv(point) + conv(edge)]
 * Residual blocks are the official pre-activation bottleneck (BN-ReLU-1x1(C/2)-BN-ReLU-3x3-BN-ReLU-1x1(C)), all convs with bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { HourglassConfig, validateModelConfig } from './config';
import { ParamStore, BatchNormParams } from './params';
import { batchNormRelu, conv, convAdd, coordChannels, coordConv, ForwardContext, instanceNormRelu, maxPool2x, upsample2x } from './layers';
import { Rng } from '../util/random';
import type { LandmarkScheme } from '../data/schemes';

type Conv = { w: tf.Variable; b: tf.Variable };

interface ResBlock { bn1: BatchNormParams; c1: Conv; bn2: BatchNormParams; c2: Conv; bn3: BatchNormParams; c3: Conv; skip?: Conv }

export interface HourglassOutput {
  /** Per stack, the map the landmark loss sees and the decoder reads: the AAM fusion map when AAM is on, else the heatmap. */
  heatmaps: tf.Tensor4D[];
  /** AAM point maps per stack (sigmoid), when AAM is on. */
  pointmaps?: tf.Tensor4D[];
  /** AAM edge maps per stack (sigmoid), when AAM is on. */
  edgemaps?: tf.Tensor4D[];
}

export interface HourglassModel {
  config: HourglassConfig;
  params: ParamStore;
  /** images [B, S, S, 3] normalised to [-1, 1]. Call inside tf.tidy (or a gradient function). */
  forward(images: tf.Tensor4D, ctx: ForwardContext): HourglassOutput;
  /** Supervision weight per stack: 2^(i - stacks + 1), official. */
  stackWeights: number[];
}

export function buildHourglass(config: HourglassConfig, opts: { seed: number; scheme?: LandmarkScheme }): HourglassModel {
  validateModelConfig(config);
  const P = new ParamStore(Rng.derive(opts.seed, 0x4d4f44));
  const C = config.channels;
  const cc = config.coordConv ? 3 : 0;

  const resBlock = (name: string, cin: number, cout: number): ResBlock => {
    const mid = cout / 2;
    return {
      bn1: P.batchNorm(`${name}/bn1`, cin), c1: P.conv(`${name}/conv1`, 1, 1, cin, mid),
      bn2: P.batchNorm(`${name}/bn2`, mid), c2: P.conv(`${name}/conv2`, 3, 3, mid, mid),
      bn3: P.batchNorm(`${name}/bn3`, mid), c3: P.conv(`${name}/conv3`, 1, 1, mid, cout),
      skip: cin !== cout ? P.conv(`${name}/skip`, 1, 1, cin, cout) : undefined,
    };
  };
  const res = (x: tf.Tensor4D, p: ResBlock, ctx: ForwardContext): tf.Tensor4D => {
    let y = conv(batchNormRelu(x, p.bn1, ctx), p.c1);
    y = conv(batchNormRelu(y, p.bn2, ctx), p.c2);
    return convAdd(batchNormRelu(y, p.bn3, ctx), p.c3, p.skip ? conv(x, p.skip) : x);
  };

  // Stem.
  const s = config.stemChannels;
  const stemConv = P.conv('stem/conv', 7, 7, 3 + cc, s);
  const stemBn = P.batchNorm('stem/bn', s);
  const stemRes = [resBlock('stem/res1', s, 2 * s), resBlock('stem/res2', 2 * s, 2 * s), resBlock('stem/res3', 2 * s, C)];

  // Hourglasses: one ResBlock per branch and level, recursion `depth` deep.
  interface HG { up1: ResBlock; low1: ResBlock; low2?: HG; low2Res?: ResBlock; low3: ResBlock }
  const makeHG = (name: string, depth: number): HG => ({
    up1: resBlock(`${name}/up1`, C, C),
    low1: resBlock(`${name}/low1`, C, C),
    low2: depth > 1 ? makeHG(`${name}/inner`, depth - 1) : undefined,
    low2Res: depth > 1 ? undefined : resBlock(`${name}/low2`, C, C),
    low3: resBlock(`${name}/low3`, C, C),
  });
  const runHG = (x: tf.Tensor4D, hg: HG, ctx: ForwardContext): tf.Tensor4D => {
    const up1 = res(x, hg.up1, ctx);
    let low = res(maxPool2x(x), hg.low1, ctx);
    low = hg.low2 ? runHG(low, hg.low2, ctx) : res(low, hg.low2Res!, ctx);
    low = res(low, hg.low3, ctx);
    return tf.add(up1, upsample2x(low));
  };

  const N = config.numPoints;
  const E = config.numEdges;
  const stacks = Array.from({ length: config.stacks }, (_, i) => {
    const extra = cc + (config.boundaryChannels && i > 0 ? 2 : 0);
    const last = i === config.stacks - 1;
    return {
      entry: cc > 0 ? P.conv(`stack${i}/coordconv`, 1, 1, C + extra, C) : undefined,
      hg: makeHG(`stack${i}/hg`, config.depth),
      featRes: resBlock(`stack${i}/feature_res`, C, C),
      featConv: P.conv(`stack${i}/feature_conv`, 1, 1, C, C),
      featBn: P.batchNorm(`stack${i}/feature_bn`, C),
      heatHead: P.conv(`stack${i}/heatmap_head`, 1, 1, C, N),
      pointHead: config.aam ? P.conv(`stack${i}/point_head`, 1, 1, C, N) : undefined,
      edgeHead: config.aam ? P.conv(`stack${i}/edge_head`, 1, 1, C, E) : undefined,
      mergeFeat: last ? undefined : P.conv(`stack${i}/merge_feature`, 1, 1, C, C),
      mergeHeat: last ? undefined : P.conv(`stack${i}/merge_heatmap`, 1, 1, N, C),
      mergePoint: last || !config.aam ? undefined : P.conv(`stack${i}/merge_point`, 1, 1, N, C),
      mergeEdge: last || !config.aam ? undefined : P.conv(`stack${i}/merge_edge`, 1, 1, E, C),
    };
  });

  // Fixed edge -> point map (official E2H): point i sums the edge maps of every edge containing it; bias 1 for points on no edge.
  let e2h: { w: tf.Tensor4D; b: tf.Tensor1D } | undefined;
  if (config.aam) {
    if (!opts.scheme) throw new Error('AAM needs the landmark scheme (edge groups) to build the edge-to-point map');
    if (opts.scheme.edges.length !== E || opts.scheme.numPoints !== N) {
      throw new Error(`AAM: scheme ${opts.scheme.name} has ${opts.scheme.edges.length} edges / ${opts.scheme.numPoints} points, model config says ${E} / ${N}`);
    }
    const w = new Float32Array(E * N);
    const b = new Float32Array(N).fill(1);
    opts.scheme.edges.forEach((edge, e) => {
      for (const p of edge.points) {
        w[e * N + p] = 1;
        b[p] = 0;
      }
    });
    e2h = { w: tf.keep(tf.tensor4d(w, [1, 1, E, N])), b: tf.keep(tf.tensor1d(b)) };
  }

  const forward = (images: tf.Tensor4D, ctx: ForwardContext): HourglassOutput => {
    if (images.rank !== 4 || images.shape[1] !== config.inputSize || images.shape[2] !== config.inputSize || images.shape[3] !== 3) {
      throw new Error(`hourglass input must be [B, ${config.inputSize}, ${config.inputSize}, 3], got [${images.shape.join(', ')}]`);
    }
    let x = batchNormRelu(cc > 0 ? coordConv(images, stemConv, 2, 3) : conv(images, stemConv, 2, 3), stemBn, ctx);
    x = res(x, stemRes[0], ctx);
    x = maxPool2x(x);
    x = res(x, stemRes[1], ctx);
    x = res(x, stemRes[2], ctx);

    const out: HourglassOutput = { heatmaps: [], pointmaps: config.aam ? [] : undefined, edgemaps: config.aam ? [] : undefined };
    let prevHeat: tf.Tensor4D | undefined;
    stacks.forEach((st, i) => {
      let inp = x;
      if (st.entry) {
        let boundary: tf.Tensor4D | undefined;
        if (config.boundaryChannels && i > 0 && prevHeat) {
          // Official quirk: x/y grids masked by the previous stack's last landmark heatmap (> 0.05).
          const [b, h, w] = x.shape;
          const lastMap = tf.slice(prevHeat, [0, 0, 0, N - 1], [b, h, w, 1]);
          // tf.step (zero gradient), not tf.greater: the mask depends on the parameters through prevHeat, and tfjs has
          // no gradient for Greater (training the paper preset failed with "gradient function not found for Greater").
          const mask = tf.step(tf.sub(tf.clipByValue(lastMap, 0, 1), 0.05));
          const xy = tf.slice(coordChannels(h, w), [0, 0, 0, 0], [1, h, w, 2]);
          boundary = tf.mul(xy, mask) as tf.Tensor4D;
        }
        inp = coordConv(x, st.entry, 1, 'same', boundary);
      }
      let f = runHG(inp, st.hg, ctx);
      f = res(f, st.featRes, ctx);
      f = batchNormRelu(conv(f, st.featConv), st.featBn, ctx);
      const logits = conv(f, st.heatHead);
      const heat = config.heatmapHead === 'linear' ? logits : instanceNormRelu(logits);
      let fused = heat;
      let point: tf.Tensor4D | undefined;
      let edge: tf.Tensor4D | undefined;
      if (config.aam) {
        point = tf.sigmoid(conv(f, st.pointHead!));
        edge = tf.sigmoid(conv(f, st.edgeHead!));
        const mask = tf.add(tf.conv2d(edge, e2h!.w, 1, 'valid'), e2h!.b);
        fused = tf.mul(heat, tf.mul(mask, point));
        out.pointmaps!.push(point);
        out.edgemaps!.push(edge);
      }
      out.heatmaps.push(fused as tf.Tensor4D);
      prevHeat = heat;
      if (i < config.stacks - 1) {
        // x + conv(f) + conv(heat) [+ conv(point) + conv(edge)]: each sum rides on its convolution's GEMM.
        let merged = convAdd(heat, st.mergeHeat!, convAdd(f, st.mergeFeat!, x));
        if (config.aam) merged = convAdd(edge!, st.mergeEdge!, convAdd(point!, st.mergePoint!, merged));
        x = merged;
      }
    });
    return out;
  };

  const stackWeights = Array.from({ length: config.stacks }, (_, i) => 2 ** (i - config.stacks + 1));
  return { config, params: P, forward, stackWeights };
}

/**
 * Parameter count the official PyTorch code reports for the same configuration. Its ResBlock always builds a 1x1
 * `skip_layer` conv, also when in == out channels where forward() never uses it; those dead weights are counted by
 * `sum(p.numel())` (17.18 M for the released model). We do not build them: 13.48 M are used, 0.8% more than the
 * paper's table (13.37 M, the ADNet row's figure; `star model --preset paper` and docs/star-reference.md §2 compare).
 */
export function officialReportedParamCount(model: HourglassModel): { ours: number; deadSkipParams: number; officialTotal: number } {
  const cfg = model.config;
  const C = cfg.channels;
  const s2 = 2 * cfg.stemChannels;
  const deadSkip = (c: number): number => c * c + c;
  // ResBlocks with in == out: stem Res(2s, 2s); per stack: up1/low1/low3 at each level + innermost low2 + feature Res.
  const perStack = 3 * cfg.depth + 1 + 1;
  const dead = deadSkip(s2) + (s2 === C ? deadSkip(C) : 0) + cfg.stacks * perStack * deadSkip(C);
  const ours = model.params.countTrainable();
  return { ours, deadSkipParams: dead, officialTotal: ours + dead };
}
