/**
 * Thin typed access to the wasm backend's own kernel functions, so our training kernels can be composed from
 * XNNPACK Conv2D, Transpose, PadV2, Reverse, Slice and Reshape without going through tf ops (no tape, no engine
 * scopes, no extra tensors): each intermediate is a bare TensorInfo that we free with `release`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

/** The part of tfjs-backend-wasm's BackendWasm that our kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** What tfjs passes a kernel function (the engine's own type is not exported). */
export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: NamedAttrMap };

export type KernelCall = (inputs: Record<string, TensorInfo>, attrs?: NamedAttrMap) => TensorInfo;

/**
 * Resolve a stock wasm kernel once (at registration, not per call). Throws with the kernel name if absent, which
 * would mean the installed tfjs-backend-wasm is not the pinned 4.22.0.
 */
export function stockWasmKernel(name: string): (backend: WasmBackendLike) => KernelCall {
  const config = tf.getKernel(name, 'wasm');
  if (config == null) {
    throw new Error(`wasm kernel '${name}' is not registered: is @tensorflow/tfjs-backend-wasm 4.22.0 imported?`);
  }
  const fn = config.kernelFunc as unknown as (args: {
    inputs: Record<string, TensorInfo>; backend: WasmBackendLike; attrs?: NamedAttrMap;
  }) => TensorInfo;
  return (backend) => (inputs, attrs) => fn({ inputs, backend, attrs: attrs ?? {} });
}

/**
 * The kernel a kernel of ours leaves a case to: the given stock config (the host backend's copy of a cpu kernel), else
 * wasm's stock kernel (resolved now).
 */
export function fallbackKernel(name: string, stock?: tf.KernelConfig): (args: KernelArgs) => TensorInfo {
  if (stock) return stock.kernelFunc as unknown as (args: KernelArgs) => TensorInfo;
  const wasm = stockWasmKernel(name);
  return (args) => wasm(args.backend as WasmBackendLike)(args.inputs, args.attrs);
}

/** Free an intermediate produced by a kernel call (refcount-aware: a reshape shares its input's buffer). */
export function release(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/** Shapes of a 2-D convolution as tfjs computes them, with a clear error for layouts we do not handle. */
export function convInfo(
  kernel: string, xShape: number[], filterShape: number[], attrs: NamedAttrMap,
): tf.backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as {
    strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat?: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (dataFormat != null && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm, tfjs-wasm-train): dataFormat '${dataFormat}' is not supported, use NHWC`);
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${kernel} (wasm): expected 4-D input and filter, got [${xShape}] and [${filterShape}]`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, 'channelsLast');
}
