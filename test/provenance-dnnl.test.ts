import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BackendInfo } from 'tfjs-wasm-train';
import { describeProvenance, provenanceDifferences, provenanceKey, sameProvenance, type Provenance } from '../src/runs/provenance';
import { kernelSet, runEnvironment } from '../src/runs/environment';

const base: Provenance = {
  code: { commit: 'a'.repeat(40), dirty: false, sourceHash: '0123456789abcdef' },
  kernels: { backend: 'wasm', threads: 1, customKernels: ['Conv2D(native)'], starLossKernels: 'host', tfjs: '4.22.0', blas: 'Haswell' },
};
const withDnnl = (dnnl: string | undefined): Provenance => ({ ...base, kernels: { ...base.kernels, dnnl } });

test('runs on oneDNN convolutions never pair with runs on OpenBLAS ones, nor with another oneDNN version or ISA', () => {
  const onednn = withDnnl('2.6.3 avx2');
  assert.ok(!sameProvenance(base, onednn));
  assert.deepEqual(provenanceDifferences(base, onednn), ['3x3/7x7 convs OpenBLAS vs oneDNN 2.6.3 avx2']);
  assert.ok(!sameProvenance(onednn, withDnnl('2.6.3 avx512_core')));
  assert.deepEqual(provenanceDifferences(onednn, withDnnl('2.7.0 avx2')), ['3x3/7x7 convs oneDNN 2.6.3 avx2 vs oneDNN 2.7.0 avx2']);
  assert.ok(sameProvenance(onednn, withDnnl('2.6.3 avx2')));
  assert.match(describeProvenance(onednn), /OpenBLAS Haswell kernels, oneDNN 2\.6\.3 avx2 convs;/);
});

test('a run on OpenBLAS convolutions keeps the key it had before oneDNN was recorded ("" = absent)', () => {
  assert.equal(provenanceKey(withDnnl('')), provenanceKey(base));
  assert.ok(sameProvenance(withDnnl(''), base));
  assert.deepEqual(provenanceDifferences(withDnnl(''), base), []);
  assert.doesNotMatch(describeProvenance(base), /oneDNN/);
});

test('the kernel set and env.json record the conv engine from the backend info', () => {
  const info = (dnnl?: string): BackendInfo => ({ name: 'wasm', threads: 1, reason: '', customKernels: ['Conv2D(native)'], blas: 'Haswell', ...(dnnl ? { dnnl } : {}) });
  assert.equal(kernelSet(info('2.6.3 avx2')).dnnl, '2.6.3 avx2');
  assert.equal(kernelSet(info()).dnnl, '');
  assert.equal(runEnvironment(info('2.6.3 avx2')).dnnl, '2.6.3 avx2');
  const prov = (i: BackendInfo): Provenance => ({ code: base.code, kernels: kernelSet(i) });
  assert.ok(!sameProvenance(prov(info('2.6.3 avx2')), prov(info())));
  assert.deepEqual(provenanceDifferences(prov(info()), prov(info('2.6.3 avx2'))), ['3x3/7x7 convs OpenBLAS vs oneDNN 2.6.3 avx2']);
});
