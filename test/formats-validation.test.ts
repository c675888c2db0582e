/**
 * The reader boundary's validation layer (src/data/formats/common.ts, images.ts, bounds.ts; issue 14 item 1), one
 * case per way a file fooled the readers before: every bad file is a FormatError naming file, line (or JSON field)
 * and field, every valid variant (BOM, CRLF, a real header) parses to the same faces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readWflwList } from '../src/data/formats/wflw';
import { readPtsFolder } from '../src/data/formats/pts';
import { readStarTsv } from '../src/data/formats/tsv';
import { readCocoKeypoints } from '../src/data/formats/coco';
import { readCofwExport } from '../src/data/formats/cofw';
import { FormatError } from '../src/data/formats/common';
import { openDataset } from '../src/data/real';
import { cropMatrix, invertAffine, warpAffine } from '../src/data/crop';
import { prepareSample } from '../src/data/prepare';
import { createCodec } from '../src/data/codec';
import { NO_AUGMENT } from '../src/data/augment';
import { cedCurve } from '../src/eval/metrics';
import { W300_68 } from '../src/data/schemes';

const FIX = path.join(__dirname, 'fixtures', 'formats');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formats-validation-'));
fs.mkdirSync(path.join(tmp, 'img'));
fs.mkdirSync(path.join(tmp, 'img', 'folder.png'));
fs.copyFileSync(path.join(FIX, 'img', 'face.png'), path.join(tmp, 'img', 'face.png'));
fs.writeFileSync(path.join(tmp, 'img', 'text.png'), 'not an image');
let serial = 0;
/** Write `text` beside the copied fixture image under a fresh name with this extension. */
function file(ext: string, text: string | Buffer): string {
  const p = path.join(tmp, `f${serial++}.${ext}`);
  fs.writeFileSync(p, text);
  return p;
}
const read = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
const quiet = { warn: () => {} };

/** Assert a FormatError whose message names `where` (file:line or file field) and matches `why`. */
function located(f: () => unknown, where: RegExp, why: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof FormatError, `not a FormatError: ${(e as Error).name}: ${(e as Error).message}`);
    assert.match(e.message, where);
    assert.match(e.message, why);
    return true;
  });
}

const wflwLines = () => read('wflw_rect_attr.txt').trim().split('\n').map((l) => l.split(' '));
const tsvLines = () => read('star.tsv').trim().split('\n').map((l) => l.split('\t'));

test('strict decimal numbers: hex, octal, binary literals, Infinity and overflow are errors with line and field', () => {
  for (const bad of ['0x1F', '0o17', '0b11', 'Infinity', 'NaN', '1e999', '1_000', '']) {
    const g = wflwLines();
    g[1][6] = bad;
    const p = file('txt', g.map((l) => l.join(' ')).join('\n'));
    // An empty field between spaces merges into one separator: one field fewer.
    if (bad === '') located(() => readWflwList(p), new RegExp(`${path.basename(p)}:2: 206 fields`), /expected 197 .* or 207/);
    else located(() => readWflwList(p), new RegExp(`${path.basename(p)}:2 field 7 \\(x3\\)`), /not a (decimal|finite) number/);
  }
  const t = tsvLines();
  t[0][3] = '0x1F';
  located(() => readStarTsv(file('tsv', t.map((l) => l.join('\t')).join('\n')), W300_68), /:1 field 4 \(scale\)/, /not a decimal number: "0x1F"/);
  const c = read('cofw.csv').trim().split('\n');
  c[1] = c[1].replace(/,0,/, ',0b1,');
  located(() => readCofwExport(file('csv', c.join('\n'))), /:2 field \d+/, /not a decimal number: "0b1"/);
});

test('image paths must name files: a folder, "", "." and a non-image are errors; checkImages: false keeps only the name check', () => {
  for (const [name, why] of [['img/folder.png', /not a file/], ['.', /not an image file name/], ['img/', /not an image file name/], ['img/text.png', /cannot read the image header/]] as const) {
    const g = wflwLines();
    g[0][206] = name;
    located(() => readWflwList(file('txt', g.map((l) => l.join(' ')).join('\n'))), /:1 field 207 \(image name\)/, why);
  }
  const t = tsvLines();
  t[1][0] = '';
  located(() => readStarTsv(file('tsv', t.map((l) => l.join('\t')).join('\n')), W300_68), /:2 field 1 \(image path\)/, /"" is not an image file name/);
  const g = wflwLines();
  g[0][206] = 'img/folder.png';
  assert.equal(readWflwList(file('txt', g.map((l) => l.join(' ')).join('\n')), { checkImages: false }).length, 2);
  const j = JSON.parse(read('coco.json'));
  j.images[0].file_name = '';
  located(() => readCocoKeypoints(file('json', JSON.stringify(j)), quiet), /field annotations\[0\]\.image_id -> file_name/, /not an image file name/);
});

test('face boxes need a positive finite size at read time (scale 0 or Infinity, empty rectangles)', () => {
  const j = JSON.parse(read('coco.json'));
  for (const [set, field] of [[(a: Record<string, unknown>) => { a.scale = 0; }, 'scale'], [(a: Record<string, unknown>) => { a.bbox = [30, 40, 0, 40]; }, 'bbox']] as const) {
    const k = JSON.parse(JSON.stringify(j));
    set(k.annotations[0]);
    located(() => readCocoKeypoints(file('json', JSON.stringify(k)), quiet), new RegExp(`field annotations\\[0\\]\\.${field}`), /> 0|width and height > 0/);
  }
  const big = read('coco.json').replace('"scale": 0.2', '"scale": 1e999');
  located(() => readCocoKeypoints(file('json', big), quiet), /field annotations\[0\]\.scale/, /finite number, got null/);
  const t = tsvLines();
  t[0][3] = '0';
  located(() => readStarTsv(file('tsv', t.map((l) => l.join('\t')).join('\n')), W300_68), /:1 field 4 \(scale\)/, /must be > 0/);
  const g = wflwLines();
  g[0].splice(196, 4, '40', '40', '40', '80');
  located(() => readWflwList(file('txt', g.map((l) => l.join(' ')).join('\n'))), /:1 field 197-200 \(rect\)/, /width and height > 0/);
  // All points in one spot: the box from the landmarks has size 0.
  located(() => readPtsFolder(folderWith('same.pts', `version: 1\nn_points: 68\n{\n${'5 5\n'.repeat(68)}}\n`), W300_68), /same\.pts field box from the landmarks/, /finite scale > 0/);
});

function folderWith(name: string, text: string): string {
  const d = fs.mkdtempSync(path.join(tmp, 'pts-'));
  fs.writeFileSync(path.join(d, name), text);
  fs.copyFileSync(path.join(FIX, 'img', 'face.png'), path.join(d, name.replace(/\.pts$/, '.png')));
  return d;
}

test('empty datasets are errors, not 0-face datasets', () => {
  located(() => readWflwList(file('txt', '\n\n')), /f\d+\.txt/, /no faces/);
  located(() => readStarTsv(file('tsv', 'path\tfive\tlandmarks\tscale\tcw\tch\n'), W300_68), /f\d+\.tsv/, /no faces/);
  located(() => readCofwExport(file('csv', read('cofw.csv').split('\n')[0] + '\n')), /f\d+\.csv/, /no faces/);
  located(() => readCofwExport(file('json', JSON.stringify({ format: 'cofw-export-v1', images: [], phis: [] }))), /f\d+\.json/, /no faces/);
  located(() => readCocoKeypoints(file('json', JSON.stringify({ images: [], annotations: [] }))), /field annotations/, /non-empty array/);
});

test('headers are recognised by content: a real header is skipped, a corrupt first face is an error (never dropped)', () => {
  const t = tsvLines();
  const header = 'path\tfive\tlandmarks\tscale\tcenter_w\tcenter_h\ttags';
  assert.equal(readStarTsv(file('tsv', [header, ...t.map((l) => l.join('\t'))].join('\n')), W300_68).length, 2);
  const corrupt = t.map((l) => [...l]);
  corrupt[0][3] = 'x';
  located(() => readStarTsv(file('tsv', corrupt.map((l) => l.join('\t')).join('\n')), W300_68), /:1 field 4 \(scale\)/, /not a decimal number/);
  const c = read('cofw.csv').trim().split('\n');
  assert.equal(readCofwExport(file('csv', c[1])).length, 1, 'no header');
  const cc = c[1].split(',');
  cc[3] = 'oops';
  located(() => readCofwExport(file('csv', cc.join(','))), /:1 field 4/, /not a decimal number/);
});

test('field counts are per file: a 207-field WFLW line missing 10 values is an error, not a 197-field face', () => {
  const g = wflwLines();
  g[1].splice(190, 10);
  const p = file('txt', g.map((l) => l.join(' ')).join('\n'));
  located(() => readWflwList(p), new RegExp(`${path.basename(p)}:2`), /197 fields, but this file's lines have 207 .* as set by its first face line \(1\)/);
  const named = path.join(tmp, 'list_98pt_rect_attr_test.txt');
  fs.writeFileSync(named, g[1].join(' ') + '\n');
  located(() => readWflwList(named), /list_98pt_rect_attr_test\.txt:1/, /197 fields, but this file's lines have 207 .* as set by the file name/);
  const c = read('cofw.csv').trim().split('\n');
  const short = c[1].split(',').slice(0, 88).join(',');
  located(() => readCofwExport(file('csv', [c[0], c[1], short].join('\n'))), /:3/, /88 fields, but this file's lines have 92/);
});

test('coordinates against the image (header read) or the face box: far outside is an error, slightly outside a counted warning', () => {
  const g = wflwLines();
  g[0][0] = '70369';
  located(() => readWflwList(file('txt', g.map((l) => l.join(' ')).join('\n'))), /:1 field 1-2 \(x0, y0\)/, /point 0 \(70369, 60\) lies .* px outside its 100×100 image/);
  located(() => readWflwList(file('txt', g.map((l) => l.join(' ')).join('\n')), { checkImages: false }), /:1 field 1-2 \(x0, y0\)/, /outside its face box/);
  const h = wflwLines();
  h[0][0] = '-3'; // 2.5 px outside the image, inside the rectangle's box: real data (a face cut by the frame)
  h[0].splice(196, 4, '-5', '38', '72', '82');
  h[0][2] = '-1';
  const warnings: string[] = [];
  assert.equal(readWflwList(file('txt', h.map((l) => l.join(' ')).join('\n')), { warn: (m) => warnings.push(m) }).length, 2);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /2 landmarks of 1 face lie outside their image \(by up to 2\.5 px; first: .*:1 point 0\); kept/);
  const j = JSON.parse(read('coco.json'));
  j.annotations[2].keypoints[0] = 1e6;
  located(() => readCocoKeypoints(file('json', JSON.stringify(j)), quiet), /field annotations\[2\]\.keypoints\[0\.\.2\]/, /outside its 100×100 image/);
  j.annotations[2].keypoints[2] = 0; // an unlabelled point's coordinates are not checked
  assert.equal(readCocoKeypoints(file('json', JSON.stringify(j)), quiet).samples.length, 3);
});

test('null and wrong-typed JSON give located errors, never a TypeError', () => {
  const cases: [unknown, RegExp, RegExp][] = [
    [null, /f\d+\.json/, /expected a JSON object, got null/],
    [[1], /f\d+\.json/, /got an array/],
    [{ images: null, annotations: [] }, /field images/, /expected an array/],
    [{ images: [null], annotations: [{}] }, /field images\[0\]/, /expected \{id: number, file_name: string\}/],
    [{ images: [{ id: 7, file_name: 'img/face.png' }], annotations: [null] }, /field annotations\[0\]/, /expected an object, got null/],
    [{ images: [{ id: 7, file_name: 'img/face.png' }], annotations: [{ keypoints: null }] }, /field annotations\[0\]\.keypoints/, /expected \[x, y, v\] \* N/],
  ];
  for (const [json, where, why] of cases) located(() => readCocoKeypoints(file('json', JSON.stringify(json))), where, why);
  located(() => readCofwExport(file('json', 'null')), /f\d+\.json/, /expected a JSON object/);
  located(() => readCofwExport(file('json', JSON.stringify({ format: 'cofw-export-v1', images: ['img/face.png'], phis: [null] }))), /field phis\[0\]/, /expected 29 x, 29 y, 29 occlusion/);
  located(() => readCocoKeypoints(file('json', '{\n  "images": [\n    {"id": 7,,}\n  ]\n}')), /:3 field column \d+/, /not valid JSON/);
});

test('a UTF-8 byte-order mark and CRLF line ends are tolerated in every format', () => {
  const bom = (s: string) => '\ufeff' + s;
  const crlf = (s: string) => s.replace(/\n/g, '\r\n');
  const coco = readCocoKeypoints(file('json', bom(read('coco.json'))), quiet);
  assert.equal(coco.samples.length, 3);
  assert.equal(readCofwExport(file('json', bom(read('cofw.json')))).length, 1);
  const tsv = readStarTsv(file('tsv', bom(crlf(read('star.tsv')))), W300_68);
  assert.equal(tsv.length, 2);
  assert.ok(tsv[0].imagePath!.endsWith(path.join('img', 'face.png')) && !tsv[0].imagePath!.includes('\ufeff'), tsv[0].imagePath);
  assert.equal(tsv[0].id, 'face.png@1');
  assert.equal(readWflwList(file('txt', bom(crlf(read('wflw_rect_attr.txt'))))).length, 2);
  assert.equal(readCofwExport(file('csv', bom(crlf(read('cofw.csv'))))).length, 1);
  assert.equal(readPtsFolder(folderWith('crlf.pts', bom(crlf(read('face.pts')))), W300_68).length, 1);
});

test('openDataset: an unknown format or split is a clear error (no TypeError)', () => {
  assert.throws(() => openDataset(path.join(FIX, 'star.tsv'), { format: 'xml' as never }), /options\.format must be one of wflw, wflw-attributes, tsv, coco, pts, cofw, got "xml"/);
  assert.throws(() => openDataset(path.join(FIX, 'star.tsv'), { scheme: '300w', split: 'dev' as never }), /options\.split must be 'train' or 'test', got "dev"/);
  located(() => openDataset(path.join(FIX, 'star.tsv'), { format: 'pts' }), /star\.tsv/, /not a folder/);
});

test('crop and metrics: a bad box or a singular crop names the face; an empty NME list says why', () => {
  const s = readStarTsv(path.join(FIX, 'star.tsv'), W300_68)[0];
  const codec = createCodec(W300_68, { inputSize: 16, heatmapSize: 4 });
  const img = { data: new Uint8Array(100 * 100 * 3), width: 100, height: 100, channels: 3 as const };
  const prep = (box: typeof s.box) => prepareSample({ ...s, box }, img, 0, { codec, augment: NO_AUGMENT, flipPerm: [], seed: 0, epoch: 0, heatmaps: false });
  assert.throws(() => prep({ center: [50, 60], scale: 0 }), /star\.tsv:1 \(face face\.png@1\): bad box/);
  assert.throws(() => prep({ center: [50, 60], scale: 1e300 }), /star\.tsv:1 \(face face\.png@1\): (bad box|singular)/);
  assert.throws(() => invertAffine({ a: 1, b: 2, c: 2, d: 4, tx: 0, ty: 0 }, 'x.tsv:9'), /x\.tsv:9: singular or non-finite crop map/);
  // A valid box far larger than the image is not singular: relative, not absolute, test.
  assert.ok(warpAffine(img, cropMatrix({ center: [50, 50], scale: 1e4 }, 16), 16).every((v) => v === 0));
  assert.throws(() => cedCurve([], 0.1), /cedCurve: no NME values \(no face was evaluated: an empty dataset or limit\?\)/);
});
