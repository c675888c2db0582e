/**
 * Parameter store for functional models: a flat, ordered map name -> tf.Variable. Initialisation happens in JS
 * with a seeded PRNG, so the same seed gives the same initial weights on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../util/random';

export class ParamStore {
  readonly trainable = new Map<string, tf.Variable>();
  /** Non-trainable state saved with the model (batch-norm running statistics). */
  readonly buffers = new Map<string, tf.Variable>();
  /** tfjs variable names are global to the engine: a per-store prefix keeps several models (e.g. train + EMA) apart. */
  private readonly prefix: string;
  private static instances = 0;
  constructor(private readonly rng: Rng) {
    this.prefix = `m${ParamStore.instances++}/`;
  }

  private checkNew(name: string): void {
    if (this.trainable.has(name) || this.buffers.has(name)) throw new Error(`duplicate parameter name ${name}`);
  }

  /** PyTorch's default conv init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias (kaiming_uniform with a=sqrt(5)). */
  conv(name: string, kh: number, kw: number, cin: number, cout: number): { w: tf.Variable; b: tf.Variable } {
    const bound = 1 / Math.sqrt(kh * kw * cin);
    const w = new Float32Array(kh * kw * cin * cout);
    for (let i = 0; i < w.length; i++) w[i] = this.rng.uniform(-bound, bound);
    const b = new Float32Array(cout);
    for (let i = 0; i < cout; i++) b[i] = this.rng.uniform(-bound, bound);
    return {
      w: this.add(`${name}/kernel`, tf.tensor4d(w, [kh, kw, cin, cout])),
      b: this.add(`${name}/bias`, tf.tensor1d(b)),
    };
  }

  batchNorm(name: string, c: number): BatchNormParams {
    return {
      gamma: this.add(`${name}/gamma`, tf.ones([c])),
      beta: this.add(`${name}/beta`, tf.zeros([c])),
      mean: this.addBuffer(`${name}/moving_mean`, tf.zeros([c])),
      variance: this.addBuffer(`${name}/moving_variance`, tf.ones([c])),
    };
  }

  add(name: string, init: tf.Tensor): tf.Variable {
    this.checkNew(name);
    const v = tf.variable(init, true, this.prefix + name);
    init.dispose();
    this.trainable.set(name, v);
    return v;
  }

  addBuffer(name: string, init: tf.Tensor): tf.Variable {
    this.checkNew(name);
    const v = tf.variable(init, false, this.prefix + name);
    init.dispose();
    this.buffers.set(name, v);
    return v;
  }

  countTrainable(): number {
    let n = 0;
    for (const v of this.trainable.values()) n += v.size;
    return n;
  }

  /** All variables (trainable then buffers) in a stable order, for checkpoints. */
  all(): Map<string, tf.Variable> {
    return new Map([...this.trainable, ...this.buffers]);
  }

  dispose(): void {
    for (const v of this.all().values()) v.dispose();
    this.trainable.clear();
    this.buffers.clear();
  }
}

export interface BatchNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  mean: tf.Variable;
  variance: tf.Variable;
}
