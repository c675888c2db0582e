/**
 * Adam exactly as PyTorch's torch.optim.Adam (eps added outside the square root, bias correction on both moments, no
 * weight decay: the official config's weight_decay is never passed to the optimizer). Its state is keyed by our
 * logical parameter names, so a checkpoint restores into a freshly built model.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap } from '@tensorflow/tfjs-core';
import { ADAM_UPDATE_ALL_KERNEL, ADAM_UPDATE_KERNEL, registerAdamKernel } from 'tfjs-wasm-train';

export interface AdamConfig {
  beta1: number;
  beta2: number;
  eps: number;
}
export const ADAM_DEFAULTS: AdamConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export class Adam {
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  /** One fused kernel per parameter (wasm, cpu, host) instead of ~10 elementwise ops; same numbers (tested). */
  readonly fused: boolean;
  constructor(private readonly params: Map<string, tf.Variable>, readonly config: AdamConfig = ADAM_DEFAULTS, opts: { fused?: boolean } = {}) {
    registerAdamKernel();
    const available = tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) != null;
    if (opts.fused && !available) throw new Error(`Adam: fused update requested but backend '${tf.getBackend()}' has no ${ADAM_UPDATE_KERNEL} kernel (wasm, cpu and host only)`);
    this.fused = opts.fused ?? available;
    for (const [name, p] of params) {
      this.m.set(name, zerosVariable(p));
      this.v.set(name, zerosVariable(p));
    }
  }

  /** One update with learning rate `lr`; `grads` keyed by parameter name. Disposes nothing it does not own. */
  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1: b1, beta2: b2, eps } = this.config;
    const bc1 = 1 - b1 ** this.step;
    const bc2 = 1 - b2 ** this.step;
    const stepSize = lr / bc1;
    const sqrtBc2 = Math.sqrt(bc2);
    if (this.fused) {
      // Every parameter in one kernel (one dispatch instead of one per parameter; the same arithmetic per element).
      const inputs: Record<string, tf.Tensor> = {};
      const targets: tf.Variable[] = [];
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        if (g.shape.join() !== p.shape.join()) throw new Error(`Adam: gradient of "${name}" has shape [${g.shape}], parameter has [${p.shape}]`);
        const i = targets.length / 3;
        Object.assign(inputs, { [`p${i}`]: p, [`m${i}`]: this.m.get(name)!, [`v${i}`]: this.v.get(name)!, [`g${i}`]: g });
        targets.push(p, this.m.get(name)!, this.v.get(name)!);
      }
      const attrs = { beta1: b1, beta2: b2, eps, stepSize, sqrtBc2, count: targets.length / 3 } as unknown as NamedAttrMap;
      const outs = tf.engine().runKernel(ADAM_UPDATE_ALL_KERNEL, inputs as unknown as tf.NamedTensorMap, attrs) as tf.Tensor[];
      targets.forEach((t, k) => t.assign(outs[k]));
      tf.dispose(outs);
      return;
    }
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const g = grads.get(name);
        if (!g) continue;
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        const m1 = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const v1 = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        m.assign(m1);
        v.assign(v1);
        const denom = tf.add(tf.div(tf.sqrt(v1), sqrtBc2), eps);
        p.assign(tf.sub(p, tf.mul(tf.div(m1, denom), stepSize)));
      }
    });
  }

  /** Named state tensors for checkpoints (`<param>/adam_m`, `<param>/adam_v`). */
  state(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, t] of this.m) out.set(`${name}/adam_m`, t);
    for (const [name, t] of this.v) out.set(`${name}/adam_v`, t);
    return out;
  }

  load(state: Map<string, tf.Tensor>, step: number): void {
    for (const [name, t] of this.m) t.assign(required(state, `${name}/adam_m`, t.shape));
    for (const [name, t] of this.v) t.assign(required(state, `${name}/adam_v`, t.shape));
    this.step = step;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}

/** A non-trainable variable of zeros shaped like `p`. tf.variable keeps its initial tensor alive: dispose it here. */
function zerosVariable(p: tf.Tensor): tf.Variable {
  const init = tf.zerosLike(p);
  const v = tf.variable(init, false);
  init.dispose();
  return v;
}

function required(state: Map<string, tf.Tensor>, key: string, shape: number[]): tf.Tensor {
  const t = state.get(key);
  if (!t) throw new Error(`checkpoint has no optimizer state "${key}"`);
  if (t.shape.join() !== shape.join()) throw new Error(`checkpoint optimizer state "${key}" has shape [${t.shape}], expected [${shape}]`);
  return t;
}
