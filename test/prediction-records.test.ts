/**
 * Per-prediction records: the float16 codec (every bit pattern, rounding, edge cases), the columnar container, the
 * records' write/read round trip through the run folder (committed subset + local full file), the derived tangent
 * quantities against hand-computed values, and the evaluation filling them (units, decoder, clean truth).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initBackend } from 'tfjs-wasm-train';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, roundToFloat16, toFloat16Bits, FLOAT16_MAX } from '../src/util/float16';
import { decodeColumnar, encodeColumnar } from '../src/runs/columnar';
import { derivedRows, firstFaces, lineAngle } from '../src/analysis/prediction-records';
import { decodeRecords, encodeRecords, recordRows, recordsFrame } from '../src/runs/prediction-records';
import { readPredictionRecords, writePredictionRecords } from '../src/runs/folder';
import { syntheticDataset } from '../src/data/synthetic/dataset';
import { createCodec } from '../src/data/codec';
import { evaluate } from '../src/eval/evaluate';
import { buildHourglass } from '../src/model/hourglass';
import { modelConfig } from '../src/model/config';
import { WFLW98 } from '../src/data/schemes';
import { cropMatrix, transformPoints } from '../src/data/crop';
import { values } from './helpers/numeric';
import { handRecords } from './helpers/records';

test('float16: every bit pattern decodes and re-encodes to itself (NaNs to the canonical 0x7e00)', () => {
  for (let bits = 0; bits < 0x10000; bits++) {
    const v = fromFloat16Bits(bits);
    const back = toFloat16Bits(v);
    if (Number.isNaN(v)) assert.equal(back, 0x7e00, `0x${bits.toString(16)}`);
    else assert.equal(back, bits, `0x${bits.toString(16)} = ${v} re-encodes to 0x${back.toString(16)}`);
  }
});

test('float16: edge cases by hand (limits, subnormals, ties to even, overflow, signed zero)', () => {
  const cases: [number, number][] = [
    [0, 0x0000], [-0, 0x8000], [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [FLOAT16_MAX, 0x7bff],
    [65519.99, 0x7bff], // just below the midpoint to the next (non-existent) value: stays at the max
    [65520, 0x7c00], // the midpoint rounds to even = Infinity
    [1e6, 0x7c00], [-1e6, 0xfc00], [Infinity, 0x7c00], [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // half of it: tie, rounds to even (zero)
    [3 * 2 ** -25, 0x0002], // 1.5 units: tie, rounds to even (2 units)
    [2 ** -14 - 2 ** -25, 0x0400], // between the largest subnormal and the smallest normal: tie to even (normal)
    [1 + 2 ** -11, 0x3c00], // tie between 1 and 1 + 2^-10: even is 1
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 1 + 2^-10 and 1 + 2^-9: even is 1 + 2^-9
    [1 + 2 ** -11 + 2 ** -30, 0x3c01], // just above the tie rounds up
    [2047.5, 0x6800], // 2048 (spacing 1 at 1024..2048): tie between 2047 and 2048 rounds to even 2048
    [0.1, 0x2e66], [-0.333, 0xb554],
  ];
  for (const [v, bits] of cases) assert.equal(toFloat16Bits(v), bits, `${v} -> 0x${toFloat16Bits(v).toString(16)}, expected 0x${bits.toString(16)}`);
  assert.ok(Object.is(fromFloat16Bits(0x8000), -0));
  assert.ok(Number.isNaN(fromFloat16Bits(0x7e00)) && Number.isNaN(roundToFloat16(NaN)));
  assert.equal(fromFloat16Bits(0x3555), 0.333251953125);
});

test('float16: encoding picks the nearest representable value (random values over 12 decades)', () => {
  const u = values(20000, 7);
  for (let i = 0; i < u.length; i++) {
    const x = Math.sign(u[i]) * 10 ** (6 * Math.abs(u[i]) - 7) * (1 + (i % 97) / 97); // 1e-7 … 2e-1 · …, both signs
    const bits = toFloat16Bits(x);
    const q = fromFloat16Bits(bits);
    const up = fromFloat16Bits(bits + 1);
    const down = fromFloat16Bits(bits === 0x8000 || bits === 0 ? bits : bits - 1);
    for (const nb of [up, down]) if (Number.isFinite(nb)) assert.ok(Math.abs(x - q) <= Math.abs(x - nb), `${x}: ${q} is farther than ${nb}`);
  }
  const arr = encodeFloat16([1.5, -3.25, NaN]);
  assert.deepEqual(Array.from(decodeFloat16(arr)).slice(0, 2), [1.5, -3.25]);
  assert.ok(Number.isNaN(decodeFloat16(arr)[2]));
});

test('columnar: typed columns, constants (NaN included) and errors that name the file', () => {
  const buf = encodeColumnar({ note: 'x' }, [
    { name: 'a', type: 'f16', values: [1, 0.1, -2, NaN, 70000] },
    { name: 'b', type: 'f32', values: [0.1, 1e-30] },
    { name: 'ones', type: 'u8', values: [1, 1, 1] },
    { name: 'none', type: 'f16', values: [NaN, NaN] },
    { name: 'c', type: 'u8', values: [0, 255] },
    { name: 'empty', type: 'f32', values: [] },
  ]);
  const d = decodeColumnar<{ note: string }>(buf, 'x.bin');
  assert.equal(d.meta.note, 'x');
  assert.deepEqual(Array.from(d.columns.a).slice(0, 3), [1, roundToFloat16(0.1), -2]);
  assert.ok(Number.isNaN(d.columns.a[3]) && d.columns.a[4] === Infinity);
  assert.deepEqual(Array.from(d.columns.b), [Math.fround(0.1), Math.fround(1e-30)]);
  assert.ok(d.columns.ones instanceof Uint8Array);
  assert.deepEqual(Array.from(d.columns.ones), [1, 1, 1]);
  assert.equal(d.entries.find((e) => e.name === 'ones')!.constant, 1, 'an all-equal column keeps one value, no bytes');
  assert.equal(d.entries.find((e) => e.name === 'none')!.constant, 'NaN');
  assert.ok(Array.from(d.columns.none).every(Number.isNaN));
  assert.deepEqual(Array.from(d.columns.c), [0, 255]);
  assert.equal(d.columns.empty.length, 0);
  for (const e of d.entries) if (e.offset !== undefined) assert.equal(e.offset % 8, 0, `${e.name} aligned`);
  assert.throws(() => encodeColumnar({}, [{ name: 'v', type: 'u8', values: [256] }]), /column "v": value 256 at 0 is not a byte/);
  assert.throws(() => encodeColumnar({}, [{ name: 'v', type: 'u8', values: [1] }, { name: 'v', type: 'u8', values: [1] }]), /duplicate column "v"/);
  assert.throws(() => decodeColumnar(new Uint8Array(20), 'bad.bin'), /bad.bin: not a STAR columnar file/);
  assert.throws(() => decodeColumnar(buf.slice(0, buf.length - 3), 'cut.bin'), /cut.bin: column "\w+" \(\d+ bytes at \d+\) lies outside the file \(\d+ bytes\)/);
});

test('records: units, derived tangent quantities by hand, float16 round trip, first faces, DataFrame', () => {
  const r = handRecords();
  assert.equal(r.faces, 2);
  assert.deepEqual(Array.from(r.lambdaMax.slice(0, 3)).map((v) => Number(v.toFixed(4))), [4, 1, 9], 'heatmap px²');
  assert.deepEqual(Array.from(r.errX.slice(0, 3)), [1, 0, 0], 'crop px / 4');
  assert.deepEqual(Array.from(r.errY.slice(0, 3)), [0, 2, 0]);
  assert.equal(r.iod[0], 8, '32 crop px = 8 heatmap px');
  assert.equal(r.tangentAngle[0], 0);
  assert.ok(Math.abs(r.tangentAngle[1] - Math.PI / 2) < 1e-6);
  assert.ok(Number.isNaN(r.tangentAngle[2]), 'no tangent: NaN');
  assert.equal(r.meanOffsetX, undefined, 'soft-argmax: the prediction is μ');
  const d = derivedRows(r);
  // landmark 0: error (1, 0) along tangent (1, 0): tangent 1, normal 0; σ along the tangent = √λmax = 2 (major axis on it)
  assert.equal(d.errTangent[0], 1);
  assert.equal(d.errNormal[0], 0);
  assert.ok(Math.abs(d.sigmaTangent[0] - 2) < 1e-6);
  // landmark 1: error (0, 2), tangent (0, 1): 2 along it, normal = −ex·ty + ey·tx = 0
  assert.ok(Math.abs(d.errTangent[1] - 2) < 1e-6 && Math.abs(d.errNormal[1]) < 1e-6);
  assert.ok(Math.abs(d.angleToTangent[1] - (Math.PI / 4 - Math.PI / 2)) < 1e-6, 'major axis at 45°, tangent at 90°: −45°');
  assert.ok(Number.isNaN(d.errTangent[2]) && Number.isNaN(d.sigmaTangent[2]));
  assert.equal(d.ratio[2], Infinity);
  assert.equal(lineAngle(Math.PI), 0);
  assert.ok(Math.abs(lineAngle(-Math.PI / 2) - Math.PI / 2) < 1e-12);

  const back = decodeRecords(encodeRecords(r), 'mem');
  assert.deepEqual(back.ids, ['face-0', 'face-1']);
  for (const k of ['lambdaMax', 'lambdaMin', 'angle', 'errX', 'errY'] as const) {
    assert.deepEqual(Array.from(back[k]), Array.from(r[k], roundToFloat16), k);
  }
  assert.ok(Number.isNaN(back.tangentAngle[2]));
  assert.deepEqual(Array.from(back.nme), Array.from(r.nme));
  assert.deepEqual(Array.from(back.attributes.largepose), [0, 1]);
  assert.deepEqual(Array.from(back.meta.yaw), [0, 10]);
  assert.deepEqual(Array.from(back.visible), [1, 1, 1, 1, 1, 1]);
  assert.equal(back.decoder, 'soft-argmax');
  const argmax = decodeRecords(encodeRecords(handRecords({ decoder: 'argmax-subpixel' })), 'mem');
  assert.ok(argmax.meanOffsetX && argmax.meanOffsetX.length === 6, 'argmax: μ − prediction is kept');
  // μ at grid 0 = heatmap px 7.5; prediction 14 crop px = heatmap px 3.125 (centres aligned): offset 4.375
  assert.equal(argmax.meanOffsetX![0], 4.375);

  const one = firstFaces(r, 1);
  assert.equal(one.faces, 1);
  assert.equal(one.totalFaces, 2);
  assert.equal(one.errX.length, 3);
  assert.deepEqual(Array.from(one.attributes.largepose), [0]);

  const rows = recordRows(r, { a: [0, 1], b: [2] });
  assert.deepEqual(rows.part, ['a', 'a', 'b', 'a', 'a', 'b']);
  assert.deepEqual(rows.nme.map((v) => Number((v as number).toFixed(3))), [0.1, 0.1, 0.1, 0.2, 0.2, 0.2]);
  const df = recordsFrame(r, { a: [0, 1], b: [2] }) as { shape: number[]; columns: string[] };
  assert.deepEqual(df.shape, [6, Object.keys(rows).length]);
  assert.ok(df.columns.includes('errTangent') && df.columns.includes('meta.yaw') && df.columns.includes('attr.largepose'));
});

test('run folder: committed subset + local full file, read back; a smaller set removes a stale full file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-records-'));
  const r = handRecords();
  const w = writePredictionRecords(dir, r, 1);
  assert.equal(w.committed.faces, 1);
  assert.equal(w.full?.faces, 2);
  assert.equal(fs.statSync(w.committed.file).size, w.committed.bytes);
  const committed = readPredictionRecords(dir)!;
  const full = readPredictionRecords(dir, 'full')!;
  assert.equal(committed.faces, 1);
  assert.equal(committed.totalFaces, 2);
  assert.equal(full.faces, 2);
  assert.deepEqual(Array.from(committed.errX), Array.from(full.errX.slice(0, 3)), 'shared faces read back alike');
  writePredictionRecords(dir, r, 250);
  assert.equal(fs.existsSync(w.full!.file), false);
  assert.equal(readPredictionRecords(dir, 'full')!.faces, 2, 'the committed file holds every face');
  assert.equal(readPredictionRecords(path.join(dir, 'nothing')), null);
});

test('evaluate(records): errors against the clean truth in heatmap px, the method\'s decoder, tangents in the crop frame', async () => {
  await initBackend({ quiet: true });
  const ds = await syntheticDataset({ seed: 5, imageSize: 64, counts: { train: 1, val: 1, test: 3 } }, 'test', { cache: false });
  for (const head of ['in-relu', 'linear'] as const) {
    const model = buildHourglass(modelConfig('cpu-tiny', { heatmapHead: head }), { seed: 2 });
    const codec = createCodec(WFLW98, { inputSize: 64, heatmapSize: 16 });
    const decode = head === 'linear' ? 'argmax-subpixel' : 'soft-argmax';
    const e = await evaluate(model, ds, { codec, records: true, keepPredictions: true, decode, distributions: true });
    model.params.dispose();
    const r = e.records!;
    assert.equal(r.faces, 3);
    assert.equal(r.truth, 'clean');
    assert.equal(r.decoder, decode);
    assert.equal(r.meanOffsetX !== undefined, head === 'linear');
    const s = ds.get(1);
    const clean = transformPoints(cropMatrix(s.box, 64), Float32Array.from(s.cleanLandmarks!.flat()));
    const k = 98 + 5; // face 1, landmark 5
    assert.ok(Math.abs(r.errX[k] - (e.predictions![1][5][0] - clean[10]) / 4) < 0.01, 'errX = (prediction − clean) / 4 (predictions are rounded to 0.01 crop px)');
    assert.ok(Math.abs(r.nme[1] - e.nmesClean![1]) < 1e-6);
    assert.equal(r.meta.yaw[1], Math.fround(s.meta!.yaw), 'face-level values are float32');
    const [tx, ty] = s.tangents![5];
    assert.ok(Math.abs(r.tangentAngle[k] - lineAngle(Math.atan2(ty, tx))) < 1e-6, 'the evaluation crop does not rotate');
    // distribution-stats and records agree on the mean λmax of a landmark (both heatmap-px-free: grid² · 7.5²)
    const meanLmax = (r.lambdaMax[5] + r.lambdaMax[98 + 5] + r.lambdaMax[196 + 5]) / 3;
    assert.ok(Math.abs(meanLmax - e.distributions!.lambdaMax[5] * 7.5 ** 2) < 1e-4 * Math.max(1, meanLmax));
  }
});

test('the CLI states the committed records\' default subset as the run folder defines it', async () => {
  const { COMMITTED_RECORD_FACES } = await import('../src/runs/folder');
  const { experiment } = await import('../src/cli/experiment');
  const { evaluate: evaluateCommand } = await import('../src/cli/evaluate');
  for (const c of [experiment, evaluateCommand]) assert.match(c.usage, new RegExp(`--record-faces [^]*?\\(default ${COMMITTED_RECORD_FACES}[;)]`));
});
