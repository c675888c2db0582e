/**
 * Stacked-hourglass configuration and named presets. One typed object; every field documented.
 * The official STAR model is `stackedHGnet_v1` (4 stacks, 256 channels, 256 px in, 64x64 heatmaps, AAM on).
 */
import type { DecodeMethod } from '../geometry/decode';

export interface HourglassConfig {
  /** Number of stacked hourglasses; supervision weight of stack i is 2^(i - stacks + 1) (official). */
  stacks: number;
  /** Recursion depth of each hourglass (number of 2x down-samplings inside it). */
  depth: number;
  /** Feature channels inside the hourglasses (official 256). */
  channels: number;
  /** Channels of the first stem conv (official 64; the stem then widens to `channels`). */
  stemChannels: number;
  /** Input image side in pixels (square). */
  inputSize: number;
  /**
   * Heatmap side. The stem always halves twice (stride-2 conv + max-pool), so heatmapSize = inputSize / 4
   * as in the official model; kept explicit so configs read unambiguously and are validated.
   */
  heatmapSize: number;
  /** Number of landmarks N (heatmap channels). */
  numPoints: number;
  /** Number of edge (boundary) groups E; used only with `aam`. */
  numEdges: number;
  /** Append x, y, r coordinate channels before the stem conv and each hourglass (official `add_coord`). */
  coordConv: boolean;
  /**
   * Official quirk: from stack 2 on, two extra "boundary" channels (x/y grids masked where the previous stack's LAST
   * landmark heatmap exceeds 0.05). Off in CPU presets; on in `paper` for parameter parity.
   */
  boundaryChannels: boolean;
  /** ADNet-style anisotropic attention: point and edge heads fused into the heatmap (official `use_AAM`). */
  aam: boolean;
  /**
   * Heatmap head. 'in-relu' (official STAR: instance norm then ReLU) suits distribution losses, which are scale-free.
   * It cannot fit fixed-amplitude targets: under heatmap MSE a constant pre-norm map normalises to 0 and the maps
   * collapse to zero (measured), and a plain ReLU head dies the same way. Heatmap-regression baselines therefore use
   * 'linear' (the 1x1 conv output, as HRNet / SimpleBaseline), decoded by argmax; consumers that need a distribution
   * read ReLU(map). Default 'in-relu'.
   */
  heatmapHead?: 'in-relu' | 'linear';
}

/** How a model's heatmaps are read, told by its head (a checkpoint knows its head, not its loss): linear = heatmap regression, argmax. */
export function decoderForHead(head: HourglassConfig['heatmapHead']): DecodeMethod {
  return head === 'linear' ? 'argmax-subpixel' : 'soft-argmax';
}

export const PRESETS = {
  /**
   * The released configuration. Parameter count printed by `star model --preset paper`. On the CPU it trains on
   * tfjs-wasm-train's host backend (its tensors do not fit the wasm heap), ≈ 16 s per step at batch 8 on 2 cores, 2.4× PyTorch: for GPU users in practice.
   */
  paper: {
    stacks: 4, depth: 4, channels: 256, stemChannels: 64, inputSize: 256, heatmapSize: 64,
    numPoints: 98, numEdges: 9, coordConv: true, boundaryChannels: true, aam: true,
  },
  /** CPU preset for the ablations: small enough for minutes-long runs on 2 cores. */
  'cpu-small': {
    stacks: 2, depth: 3, channels: 64, stemChannels: 32, inputSize: 128, heatmapSize: 32,
    numPoints: 98, numEdges: 9, coordConv: true, boundaryChannels: false, aam: false,
  },
  /**
   * The ablation regime's preset (issue: a heatmap that resolves the ambiguity): cpu-tiny's width at 128 px, so the
   * heatmap is 32×32 and the inter-ocular distance ≈ 14 heatmap px (vs ≈ 7 at 64 px). One hourglass of depth 3.
   */
  'cpu-128': {
    stacks: 1, depth: 3, channels: 32, stemChannels: 16, inputSize: 128, heatmapSize: 32,
    numPoints: 98, numEdges: 9, coordConv: true, boundaryChannels: false, aam: false,
  },
  /** The smallest useful model: for smoke runs and tests. */
  'cpu-tiny': {
    stacks: 1, depth: 2, channels: 32, stemChannels: 16, inputSize: 64, heatmapSize: 16,
    numPoints: 98, numEdges: 9, coordConv: true, boundaryChannels: false, aam: false,
  },
} satisfies Record<string, HourglassConfig>;

export type PresetName = keyof typeof PRESETS;

export function modelConfig(preset: PresetName | HourglassConfig, overrides: Partial<HourglassConfig> = {}): HourglassConfig {
  const base = typeof preset === 'string' ? PRESETS[preset] : preset;
  if (!base) throw new Error(`unknown model preset "${String(preset)}" (known: ${Object.keys(PRESETS).join(', ')})`);
  const cfg: HourglassConfig = { ...base, ...overrides };
  validateModelConfig(cfg);
  return cfg;
}

export function validateModelConfig(cfg: HourglassConfig): void {
  const bad = (field: keyof HourglassConfig, why: string): never => {
    throw new Error(`model config field "${field}" = ${JSON.stringify(cfg[field])}: ${why}`);
  };
  for (const k of ['stacks', 'depth', 'channels', 'stemChannels', 'inputSize', 'heatmapSize', 'numPoints', 'numEdges'] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] < 1) bad(k, 'must be a positive integer');
  }
  if (cfg.channels % 2 !== 0) bad('channels', 'must be even (bottleneck halves it)');
  if (cfg.inputSize !== cfg.heatmapSize * 4) bad('heatmapSize', `must be inputSize/4 = ${cfg.inputSize / 4} (stride-2 stem conv + 2x max-pool)`);
  if (cfg.heatmapSize % 2 ** cfg.depth !== 0) bad('depth', `heatmapSize ${cfg.heatmapSize} must be divisible by 2^depth = ${2 ** cfg.depth}`);
}
