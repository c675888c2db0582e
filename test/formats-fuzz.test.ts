/**
 * Seeded fuzz of the dataset readers (issue 14 item 6): every fixture format (test/fixtures/formats/*) is mutated a
 * few hundred times, each mutation labelled with what a correct reader must do:
 * - equivalent (BOM, CRLF, blank lines, trailing zeros of a number, JSON re-layout): parse to the same faces;
 * - invalid (a non-decimal or non-finite number, a dropped value, an image path that is not an image file, an empty
 *   box, a far-away coordinate, null / wrong-typed / missing JSON, an empty file): a located error;
 * - unknown (truncation, deleted / duplicated / swapped lines, a flipped byte, swapped or nudged numbers): a located
 *   error, or a parse whose faces are sound and as many as the file holds (none silently dropped).
 * Located = a FormatError naming the file and a line or field (a whole-file problem, like no faces, names the file).
 * Any TypeError, unlocated error, accepted invalid file, changed equivalent or unsound parse fails the test; the
 * counts per outcome class are printed.
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
import type { Sample } from '../src/data/sample';
import { W300_68 } from '../src/data/schemes';

const SEED = 20260214;
const PER_FORMAT = 70;
const FIX = path.join(__dirname, 'fixtures', 'formats');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'formats-fuzz-'));
fs.mkdirSync(path.join(dir, 'img', 'folder.png'), { recursive: true });
fs.copyFileSync(path.join(FIX, 'img', 'face.png'), path.join(dir, 'img', 'face.png'));
fs.copyFileSync(path.join(FIX, 'img', 'face.png'), path.join(dir, 'face.png')); // beside face.pts
fs.writeFileSync(path.join(dir, 'img', 'text.png'), 'not an image');

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
type Rand = ReturnType<typeof mulberry32>;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

type Label = 'equivalent' | 'invalid' | 'unknown';
interface Mutant { op: string; label: Label; text: string }

interface Format {
  name: string;
  /** Where the mutated text is written (the reader is pointed at it). */
  file: string;
  text: string;
  json: boolean;
  read(): Sample[];
  /** Faces a file of this text holds (for parses of unknown mutations: none may be dropped). */
  faceCount(text: string): number;
  /** Whether the numeric token at `offset` is data the reader uses (not e.g. the `version:` line of .pts). */
  used?(text: string, offset: number): boolean;
  /** Whether dropping the numeric token at `offset` leaves a valid file (TSV tags are optional in number). */
  optional?(text: string, offset: number): boolean;
  /** Format-specific invalid mutations: an empty box, a far coordinate. */
  specific(r: Rand, text: string): Mutant[];
}

const quiet = { warn: () => {} };
const lines = (t: string) => t.replace(/^\ufeff/, '').split(/\r\n|\r|\n/);
const faceLines = (t: string) => lines(t).filter((l) => l.trim() !== '' && !/^[A-Za-z_\t, ]+$/.test(l.replace(/v\d+/g, 'v'))).length;
const lineAt = (t: string, offset: number) => t.slice(t.lastIndexOf('\n', offset - 1) + 1, (t.indexOf('\n', offset) + 1 || t.length + 1) - 1);

/** Replace the field `k` (0-based, split on `sep`) of line `n` (0-based among all lines). */
function setField(text: string, n: number, sep: string, k: number, value: string): string {
  const ls = text.split('\n');
  const f = ls[n].split(sep);
  f[k] = value;
  ls[n] = f.join(sep);
  return ls.join('\n');
}

function jsonMutant(op: string, text: string, edit: (o: Record<string, unknown>) => void, marker?: string): Mutant {
  const o = JSON.parse(text);
  edit(o);
  const s = JSON.stringify(o, null, 1);
  return { op, label: 'invalid', text: marker ? s.replace(`"${marker}"`, '1e999') : s };
}

const FORMATS: Format[] = [
  {
    name: 'wflw 207', file: path.join(dir, 'wflw207.txt'), text: fs.readFileSync(path.join(FIX, 'wflw_rect_attr.txt'), 'utf8'), json: false,
    read() { return readWflwList(this.file, quiet); }, faceCount: faceLines,
    specific: (r, t) => [
      { op: 'empty rect', label: 'invalid', text: setField(setField(t, 0, ' ', 198, '28'), 0, ' ', 196, '28') },
      { op: 'far coordinate', label: 'invalid', text: setField(t, Math.floor(r() * 2), ' ', 2 * Math.floor(r() * 98), '70369') },
      { op: 'drop ten values', label: 'invalid', text: t.split('\n').map((l, i) => (i === 1 ? l.split(' ').filter((_, k) => k < 190 || k >= 200).join(' ') : l)).join('\n') },
      { op: 'attribute 2', label: 'invalid', text: setField(t, 0, ' ', 200 + Math.floor(r() * 6), '2') },
    ],
  },
  {
    name: 'wflw 197', file: path.join(dir, 'wflw197.txt'), text: fs.readFileSync(path.join(FIX, 'wflw_attr_list.txt'), 'utf8'), json: false,
    read() { return readWflwList(this.file, quiet); }, faceCount: faceLines,
    specific: (r, t) => [{ op: 'far coordinate', label: 'invalid', text: setField(t, 0, ' ', 2 * Math.floor(r() * 98) + 1, '-5000') }],
  },
  {
    name: 'star tsv', file: path.join(dir, 'star.tsv'), text: fs.readFileSync(path.join(FIX, 'star.tsv'), 'utf8'), json: false,
    read() { return readStarTsv(this.file, W300_68, quiet); }, faceCount: faceLines,
    optional: (t, offset) => { const l = lineAt(t, offset); const f = l.split('\t'); return f.length === 7 && offset - t.indexOf(l) > l.length - f[6].length; },
    specific: (r, t) => [
      { op: 'scale 0', label: 'invalid', text: setField(t, Math.floor(r() * 2), '\t', 3, pick(r, ['0', '-0.25', '0.0'])) },
      { op: 'far coordinate', label: 'invalid', text: setField(t, 1, '\t', 2, t.split('\n')[1].split('\t')[2].replace(/^[^,]+/, '1e5')) },
      { op: 'five-point count', label: 'invalid', text: setField(t, 0, '\t', 1, '1,1,1') },
    ],
  },
  {
    name: 'coco json', file: path.join(dir, 'coco.json'), text: fs.readFileSync(path.join(FIX, 'coco.json'), 'utf8'), json: true,
    read() { return readCocoKeypoints(this.file, quiet).samples; },
    faceCount: (t) => JSON.parse(t.replace(/^\ufeff/, '')).annotations.length,
    // The reader does not use an image's width and height or an annotation's own id.
    used: (t, offset) => {
      const key = /"(\w+)"\s*:\s*$/.exec(t.slice(Math.max(0, offset - 20), offset))?.[1];
      const inAnnotations = t.lastIndexOf('"annotations"', offset) > t.lastIndexOf('"images"', offset);
      return !(key === 'width' || key === 'height' || (key === 'id' && inAnnotations));
    },
    specific: (r, t) => {
      const k = Math.floor(r() * 3);
      const leaf = pick(r, ['keypoints', 'bbox', 'center', 'scale', 'image_id'] as const);
      return [
        { op: 'root null', label: 'invalid', text: pick(r, ['null', '[]', '7', '"coco"']) },
        jsonMutant('images null', t, (o) => { o.images = null; }),
        jsonMutant('annotation null', t, (o) => { (o.annotations as unknown[])[k] = null; }),
        jsonMutant('image null', t, (o) => { (o.images as unknown[])[0] = null; }),
        jsonMutant(`${leaf} wrong type`, t, (o) => { const a = (o.annotations as Record<string, unknown>[])[0]; a[leaf] = pick(r, [null, '0x1F', true, [], {}]); }),
        jsonMutant('keypoint null', t, (o) => { ((o.annotations as Record<string, number[]>[])[k].keypoints as unknown[])[Math.floor(r() * 87)] = null; }),
        jsonMutant('keypoint 1e999', t, (o) => { ((o.annotations as Record<string, unknown[]>[])[k].keypoints)[3 * Math.floor(r() * 29)] = 'INF'; }, 'INF'),
        jsonMutant('scale 0', t, (o) => { (o.annotations as Record<string, unknown>[])[0].scale = pick(r, [0, -1]); }),
        jsonMutant('bbox empty', t, (o) => { (o.annotations as Record<string, number[]>[])[k].bbox[2 + Math.floor(r() * 2)] = 0; }),
        jsonMutant('missing key', t, (o) => { delete (o.annotations as Record<string, unknown>[])[k][pick(r, ['keypoints', 'image_id'])]; }),
        jsonMutant('far coordinate', t, (o) => { (o.annotations as Record<string, number[]>[])[k].keypoints[3 * Math.floor(r() * 29) + 1] = 9e4; }),
        jsonMutant('no annotations', t, (o) => { o.annotations = []; }),
      ];
    },
  },
  {
    name: 'cofw json', file: path.join(dir, 'cofw.json'), text: fs.readFileSync(path.join(FIX, 'cofw.json'), 'utf8'), json: true,
    read() { return readCofwExport(this.file, quiet).map((f) => f.sample); },
    faceCount: (t) => JSON.parse(t.replace(/^\ufeff/, '')).phis.length,
    specific: (r, t) => [
      { op: 'root null', label: 'invalid', text: pick(r, ['null', '[]', '{}']) },
      jsonMutant('row null', t, (o) => { (o.phis as unknown[])[0] = null; }),
      jsonMutant('value wrong type', t, (o) => { (o.phis as unknown[][])[0][Math.floor(r() * 87)] = pick(r, [null, '1', false]); }),
      jsonMutant('occlusion 2', t, (o) => { (o.phis as number[][])[0][58 + Math.floor(r() * 29)] = 2; }),
      jsonMutant('bbox empty', t, (o) => { (o.bboxes as number[][])[0][2] = 0; }),
      jsonMutant('image not a string', t, (o) => { (o.images as unknown[])[0] = pick(r, [null, 3, '', '.']); }),
      jsonMutant('far coordinate', t, (o) => { (o.phis as number[][])[0][Math.floor(r() * 58)] = -2e4; }),
      jsonMutant('no faces', t, (o) => { o.images = []; o.phis = []; o.bboxes = []; }),
      jsonMutant('wrong format tag', t, (o) => { o.format = 'cofw'; }),
    ],
  },
  {
    name: 'cofw csv', file: path.join(dir, 'cofw.csv'), text: fs.readFileSync(path.join(FIX, 'cofw.csv'), 'utf8'), json: false,
    read() { return readCofwExport(this.file, quiet).map((f) => f.sample); }, faceCount: faceLines,
    specific: (r, t) => [
      { op: 'occlusion 2', label: 'invalid', text: setField(t, 1, ',', 59 + Math.floor(r() * 29), '2') },
      { op: 'bbox empty', label: 'invalid', text: setField(t, 1, ',', 90, '0') },
      { op: 'far coordinate', label: 'invalid', text: setField(t, 1, ',', 1 + Math.floor(r() * 58), '1e6') },
    ],
  },
  {
    name: 'pts', file: path.join(dir, 'face.pts'), text: fs.readFileSync(path.join(FIX, 'face.pts'), 'utf8'), json: false,
    read() { return readPtsFolder(dir, W300_68, quiet); }, faceCount: () => 1,
    used: (t, offset) => !/^version/.test(lineAt(t, offset).trim()),
    specific: (r, t) => [
      { op: 'far coordinate', label: 'invalid', text: t.replace(/\n(\d[^\n]*)\n/, '\n1e5 5\n') },
      { op: 'n_points mismatch', label: 'invalid', text: t.replace('n_points: 68', pick(r, ['n_points: 67', 'n_points: 0', 'n_points: 68.5'])) },
    ],
  },
];

const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g;
const BAD_LITERALS = ['0x1F', '0o17', '0b11', 'Infinity', '-Infinity', 'NaN', '1e999', 'abc', '1_0', '--1', ''];
const BAD_NAMES = ['', '.', 'img/', 'img/folder.png', 'img/missing.png', 'img/text.png'];

/** Numeric tokens of a text (offset and text), optionally only those the reader uses. */
function numbers(f: Format, text: string): { at: number; s: string }[] {
  const out: { at: number; s: string }[] = [];
  for (const m of text.matchAll(NUMBER)) {
    const before = text[m.index! - 1];
    if (before && /[A-Za-z_.\/]/.test(before)) continue; // part of a name (face.png, v12, img/...)
    if (!f.used || f.used(text, m.index!)) out.push({ at: m.index!, s: m[0] });
  }
  return out;
}

const splice = (t: string, at: number, len: number, s: string) => t.slice(0, at) + s + t.slice(at + len);

function mutate(f: Format, r: Rand): Mutant {
  const t = f.text;
  const nums = numbers(f, t);
  const n = pick(r, nums);
  const ls = t.split('\n');
  const line = Math.floor(r() * ls.length);
  const ops: (() => Mutant)[] = [
    () => ({ op: 'bom', label: 'equivalent', text: '\ufeff' + t }),
    () => ({ op: 'crlf', label: 'equivalent', text: t.replace(/\n/g, '\r\n') }),
    () => ({ op: 'blank lines', label: 'equivalent', text: [...ls.slice(0, line), '', ...ls.slice(line)].join('\n') + '\n\n' }),
    () => {
      const frac = nums.filter((x) => x.s.includes('.') && !/e/i.test(x.s));
      const x = frac.length ? pick(r, frac) : n;
      return { op: 'trailing zero', label: frac.length ? 'equivalent' : 'unknown', text: splice(t, x.at, x.s.length, frac.length ? x.s + '0' : x.s) };
    },
    () => ({ op: 'bad literal', label: 'invalid', text: splice(t, n.at, n.s.length, f.json ? pick(r, BAD_LITERALS.filter((b) => b !== '')) : pick(r, BAD_LITERALS)) }),
    () => {
      const tail = t.slice(n.at + n.s.length);
      const sep = /^[ \t,]/.test(tail) ? 1 : 0;
      return { op: 'drop value', label: f.json || (f.optional?.(t, n.at) ?? false) ? 'unknown' : 'invalid', text: splice(t, n.at, n.s.length + sep, '') };
    },
    () => {
      const name = f.json ? '"img/face.png"' : 'img/face.png'; // .pts names no image: its image is the one beside it
      return { op: 'bad image name', label: t.includes(name) ? 'invalid' : 'unknown', text: t.replace(name, f.json ? JSON.stringify(pick(r, BAD_NAMES)) : pick(r, BAD_NAMES)) };
    },
    () => ({ op: 'empty file', label: 'invalid', text: pick(r, ['', '\n', '\ufeff', '  \n\n']) }),
    () => ({ op: 'truncate', label: 'unknown', text: t.slice(0, Math.floor(r() * t.length)) }),
    () => ({ op: 'delete line', label: 'unknown', text: ls.filter((_, i) => i !== line).join('\n') }),
    () => ({ op: 'duplicate line', label: 'unknown', text: [...ls.slice(0, line + 1), ls[line], ...ls.slice(line + 1)].join('\n') }),
    () => {
      const at = Math.floor(r() * t.length);
      return { op: 'byte flip', label: 'unknown', text: splice(t, at, 1, pick(r, ['x', '9', '.', '-', ' ', '\t', ',', '"', '{', '\n'])) };
    },
    () => {
      const m = pick(r, nums);
      const sameLine = nums.filter((x) => lineAt(t, x.at) === lineAt(t, m.at) && x.at > m.at);
      if (!sameLine.length) return { op: 'swap numbers', label: 'unknown', text: t };
      const o = pick(r, sameLine);
      return { op: 'swap numbers', label: 'unknown', text: t.slice(0, m.at) + o.s + t.slice(m.at + m.s.length, o.at) + m.s + t.slice(o.at + o.s.length) };
    },
    () => ({ op: 'nudge number', label: 'unknown', text: splice(t, n.at, n.s.length, String(Number(n.s) + pick(r, [0.5, -0.5, 3, -3]))) }),
    () => pick(r, f.specific(r, t)),
  ];
  if (f.json) ops.push(() => ({ op: 'json re-layout', label: 'equivalent', text: JSON.stringify(JSON.parse(t)) }));
  return pick(r, ops)();
}

/** The parts of a face that must not change under an equivalent mutation. */
const essence = (s: Sample) => ({ landmarks: s.landmarks, box: s.box, visible: s.visible, attributes: s.attributes, image: s.imagePath });

/** Why a parse is unsound, or null. */
function unsound(faces: Sample[], expected: number): string | null {
  if (faces.length !== expected) return `${faces.length} faces from a file that holds ${expected}`;
  for (const s of faces) {
    if (s.landmarks.length !== faces[0].landmarks.length || !s.landmarks.flat().every(Number.isFinite)) return `${s.id}: bad landmarks`;
    if (!(s.box.scale > 0) || !Number.isFinite(s.box.scale) || !s.box.center.every(Number.isFinite)) return `${s.id}: bad box ${JSON.stringify(s.box)}`;
    if (!s.imagePath || !fs.statSync(s.imagePath, { throwIfNoEntry: false })?.isFile()) return `${s.id}: image ${s.imagePath} is not a file`;
  }
  return null;
}

const FILE_LEVEL = /no faces|expected a JSON object|cannot read|no \.pts files|not valid JSON|non-empty array|expected "cofw-export-v1"|header line "n_points|opening brace/;

test(`fuzz: ${FORMATS.length} formats × ${PER_FORMAT} seeded mutations: every outcome a located error or a correct parse`, (t) => {
  const counts: Record<string, number> = {};
  const count = (k: string) => { counts[k] = (counts[k] ?? 0) + 1; };
  const failures: string[] = [];
  const r = mulberry32(SEED);
  for (const f of FORMATS) {
    fs.writeFileSync(f.file, f.text);
    const original = f.read().map(essence);
    for (let i = 0; i < PER_FORMAT; i++) {
      const m = mutate(f, r);
      fs.writeFileSync(f.file, m.text);
      const what = `${f.name} #${i} ${m.op} (${m.label})`;
      let faces: Sample[] | undefined;
      try {
        faces = f.read();
      } catch (e) {
        if (!(e instanceof FormatError)) {
          failures.push(`${what}: ${(e as Error).name} escaped: ${(e as Error).message}`);
          count('crash (not a FormatError)');
          continue;
        }
        if (m.label === 'equivalent') {
          failures.push(`${what}: an equivalent file was rejected: ${e.message}`);
          count('equivalent rejected');
        } else if (e.line !== undefined || e.field !== undefined) {
          count('located error (file + line/field)');
        } else if (FILE_LEVEL.test(e.message)) {
          count('located error (whole file)');
        } else {
          failures.push(`${what}: error without line or field: ${e.message}`);
          count('unlocated error');
        }
        continue;
      }
      if (m.label === 'invalid') {
        failures.push(`${what}: invalid file accepted`);
        count('invalid accepted');
      } else if (m.label === 'equivalent') {
        try {
          assert.deepEqual(faces.map(essence), original);
          count('correct parse (equivalent)');
        } catch {
          failures.push(`${what}: parses to other faces`);
          count('equivalent changed');
        }
      } else {
        let expected: number;
        try {
          expected = f.faceCount(m.text);
        } catch {
          expected = -1;
        }
        const why = unsound(faces, expected);
        if (why) {
          failures.push(`${what}: ${why}`);
          count('unsound parse');
        } else count('correct parse (changed file)');
      }
    }
    fs.writeFileSync(f.file, f.text);
  }
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  t.diagnostic(`seed ${SEED}, ${total} mutated files: ${Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join('; ')}`);
  console.log(`formats fuzz (seed ${SEED}, ${total} files):\n${Object.entries(counts).sort().map(([k, v]) => `  ${k}: ${v}`).join('\n')}`);
  assert.deepEqual(failures, []);
});
