import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeProvenance, provenanceDifferences, sameProvenance, type Provenance } from '../src/runs/provenance';

const base: Provenance = {
  code: { commit: 'a'.repeat(40), dirty: false, sourceHash: '0123456789abcdef' },
  kernels: { backend: 'wasm', threads: 1, customKernels: ['Conv2D(native)'], starLossKernels: 'host', tfjs: '4.22.0', blas: 'Haswell' },
};
const withBlas = (blas: string | undefined): Provenance => ({ ...base, kernels: { ...base.kernels, blas } });

test('runs with other OpenBLAS kernels have other provenance (tables refuse to pair them, resumes refuse to continue)', () => {
  assert.ok(sameProvenance(base, withBlas('Haswell')));
  assert.ok(!sameProvenance(base, withBlas('SkylakeX')));
  assert.deepEqual(provenanceDifferences(base, withBlas('SkylakeX')), ['OpenBLAS kernels Haswell vs SkylakeX']);
  // A run recorded before the kernels were: its machine's choice is unknown, so it matches no run that records one.
  assert.ok(!sameProvenance(withBlas(undefined), base));
  assert.deepEqual(provenanceDifferences(withBlas(undefined), base), ['OpenBLAS kernels not recorded vs Haswell']);
  assert.match(describeProvenance(base), /OpenBLAS Haswell kernels/);
});
