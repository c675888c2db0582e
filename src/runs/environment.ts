/**
 * Where a run trained, asked of each layer that knows: the backend (tfjs-wasm-train's BackendInfo: backend, threads,
 * custom kernels) and the loss (which STAR implementation it runs). The one writer of env.json's environment fields
 * and of the kernel set in a run's provenance.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from 'tfjs-wasm-train';
import { starLossEnvironment } from '../loss/star';
import type { KernelSet } from './provenance';

/** The kernels a run's numbers depend on (compared across runs: tables refuse to mix them). */
export function kernelSet(info: BackendInfo): KernelSet {
  return {
    backend: info.name, threads: info.threads, customKernels: [...info.customKernels], ...starLossEnvironment(), tfjs: tf.version_core, blas: info.blas ?? '',
    // oneDNN's version + ISA when the 3×3 / 7×7 convolutions ran on it; '' = OpenBLAS (the key of such runs is unchanged).
    dnnl: info.dnnl ?? '',
  };
}

/** What every run's env.json records about where it trained: backend, threads, which kernels, versions, start time. */
export function runEnvironment(info: BackendInfo): Record<string, unknown> {
  return {
    backend: info.name, threads: info.threads, backendReason: info.reason, customKernels: info.customKernels, blas: info.blas ?? '', dnnl: info.dnnl ?? '', ...starLossEnvironment(),
    node: process.version, tfjs: tf.version_core, startedAt: new Date().toISOString(),
  };
}
