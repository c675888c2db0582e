/**
 * tfjs-wasm-train: train TensorFlow.js models on the CPU. Everything a user imports; the modules behind it are internal.
 *
 *   import { initBackend } from 'tfjs-wasm-train';
 *   await initBackend();   // tfjs-node(-gpu) if it works, else wasm + our training kernels (+ native), else cpu;
 *                          // with { workload } too big for the wasm heap: the host backend
 */

// The backend ladder: start the fastest working backend once, with the training kernels on wasm.
export {
  BACKEND_CHOICES, backendInfo, formatBackendInfo, formatBackendSummary, initBackend, resolveBackendOptions, selectBackend, withBackend,
  type BackendChoice, type BackendInfo, type BackendName, type BackendOptions,
} from './backend';

// The host backend: tfjs's cpu backend again, with our native kernels and tensors in JS memory (no 4 GiB heap).
export { HOST, HOST_POOL_LIMIT, hostPoolStats, registerHostBackend, setHostPoolLimit, startHost } from './host-backend';
export { registerHostTrainingKernels } from './kernels/register-host';
export { WASM_TENSOR_BUDGET, wasmFits, type Workload } from './workload';

// The pieces the ladder puts together, for a caller that starts wasm itself.
export { registerWasmTrainingKernels, WASM_KERNEL_SETS, type WasmKernelSet } from './kernels/register';
export { startWasmSingle, startWasmThreaded, wasmIsThreaded, type WasmStart } from './wasm-threads';
export { installLeanSavedTensors, leanSavedTensorsInstalled, uninstallLeanSavedTensors } from './lean-tape';
export { ENGINE_CHOICES, enginesChoice, nativeKernels, packConvDims, type ConvDims, type EnginesChoice, type NativeKernels } from './native-addon';

// Fused training ops (one kernel where tfjs runs several; plain tf ops on backends without them).
export { convBias, convBiasAdd, type ConvPad } from './ops/conv-bias';
export { batchNormTrain, useNativeBatchNorm, type BatchNormTrainResult } from './ops/batch-norm';
export { instanceNormOps, instanceNormTrain } from './ops/instance-norm';
export { ADAM_UPDATE_ALL_KERNEL, ADAM_UPDATE_KERNEL, registerAdamKernel } from './ops/adam-fused';

// Kernels of your own as plain loops over tensor memory on cpu and wasm.
export {
  HOST_BACKENDS, hostKernelAvailable, hostKernelConfigs, registerOnce, type HostBackendName, type HostKernelBody,
} from './host-memory';
