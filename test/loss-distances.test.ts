/**
 * The distance module (src/loss/distances.ts): each float64 scalar twin (the host STAR kernels') equals its tensor
 * function (the tfjs-op kernels') to float32 rounding, and the derivative factors the hand-written STAR backwards use
 * equal autodiff of the distances, on both branches of smooth-L1. cpu backend.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import {
  distance, distanceRho, distanceRhoScalar, distanceScalar, smoothL1FromSquared, smoothL1FromSquaredGrad,
  smoothL1FromSquaredGradScalar, smoothL1FromSquaredScalar, type DistanceName,
} from '../src/loss/distances';

before(async () => { assert.ok(await tf.setBackend('cpu')); });

// Both smooth-L1 branches (|e| < 0.01 and above), away from the branch point where float32 and float64 may disagree.
const ERRORS = [1e-5, -3e-4, 0.002, -0.0071, 0.0098, -0.0103, 0.031, -0.4, 2.5];
const NAMES: DistanceName[] = ['smoothl1', 'l1', 'l2'];

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 2e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('scalar twins equal the tensor functions (distance, ρ, smooth-L1 of a square and its derivative)', () => {
  const e = tf.tensor1d(ERRORS);
  const sq = tf.square(e);
  const sqs = sq.dataSync();
  for (const name of NAMES) {
    const d = distance(e, name).dataSync();
    const rho = distanceRho(e, name).dataSync();
    ERRORS.forEach((v, i) => {
      close(d[i], distanceScalar(v, name), `${name} d(${v})`);
      close(rho[i], distanceRhoScalar(v, name), `${name} ρ(${v})`);
    });
  }
  const f = smoothL1FromSquared(sq).dataSync();
  const g = smoothL1FromSquaredGrad(sq).dataSync();
  sqs.forEach((q, i) => {
    close(f[i], smoothL1FromSquaredScalar(q), `smoothL1FromSquared(${q})`);
    close(g[i], smoothL1FromSquaredGradScalar(q), `smoothL1FromSquaredGrad(${q})`);
  });
});

test('derivative factors equal autodiff: d\'(e) = ρ(e)·e and d/dq smoothL1FromSquared(q)', () => {
  const e = tf.tensor1d(ERRORS);
  for (const name of NAMES) {
    const auto = tf.grad((x: tf.Tensor) => tf.sum(distance(x, name)))(e).dataSync();
    const viaRho = tf.mul(distanceRho(e, name), e).dataSync();
    ERRORS.forEach((v, i) => close(viaRho[i], auto[i], `${name} d'(${v})`));
  }
  const q = tf.square(e);
  const auto = tf.grad((x: tf.Tensor) => tf.sum(smoothL1FromSquared(x)))(q).dataSync();
  const mine = smoothL1FromSquaredGrad(q).dataSync();
  ERRORS.forEach((v, i) => close(mine[i], auto[i], `d/dq smoothL1FromSquared at e = ${v}`));
});
