import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { normaliseTable, showTable, toCsv, toDataFrame, toHtml, toMarkdown, writeTable } from '../src/report/table';
import { requireSetup } from './helpers/setup';

const ROWS = [
  { loss: 'STAR (v2)', nme: 4.123456789, fr: null, note: 'a,b "quoted"\nsecond line' },
  { loss: 'L2', nme: 5, fr: 0.5, note: 'pipe | here' },
  { loss: 'AWing', nme: 4.5, note: ' padded ' }, // fr absent: missing
];

/** Python's csv module as the independent RFC 4180 reader. */
function pythonCsv(text: string): string[][] | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin))))'], {
    input: text,
    encoding: 'utf8',
  });
  return r.status === 0 ? JSON.parse(r.stdout) : null;
}

test('CSV round-trips through an independent reader, numbers at full precision', () => {
  const csv = toCsv(ROWS);
  const parsed = pythonCsv(csv);
  requireSetup(!parsed && '/usr/bin/python3 not available (npm run setup)');
  if (!parsed) return;
  assert.deepEqual(parsed, [
    ['loss', 'nme', 'fr', 'note'],
    ['STAR (v2)', '4.123456789', '', 'a,b "quoted"\nsecond line'],
    ['L2', '5', '0.5', 'pipe | here'],
    ['AWing', '4.5', '', ' padded '],
  ]);
});

test('Markdown: escaped pipes and newlines, right-aligned numeric columns, same decimals per column', () => {
  const md = toMarkdown(ROWS, { title: 'NME', digits: 2, note: 'smoke run' });
  const lines = md.trimEnd().split('\n');
  assert.equal(lines[0], '**NME**');
  assert.equal(lines[2], '| loss | nme | fr | note |');
  assert.equal(lines[3], '| --- | ---: | ---: | --- |');
  assert.equal(lines[4], '| STAR (v2) | 4.12 | \u2013 | a,b "quoted"<br>second line |');
  assert.equal(lines[5], '| L2 | 5.00 | 0.50 | pipe \\| here |');
  assert.equal(lines.at(-1), '_smoke run_');
  // Every table line has the same number of unescaped separators.
  const seps = lines.slice(2, 7).map((l) => l.replace(/\\\|/g, '').split('|').length);
  assert.ok(seps.every((n) => n === seps[0]), md);
});

test('integer-only columns print as integers; columnDigits overrides digits', () => {
  const md = toMarkdown([{ step: 10, lr: 0.001 }, { step: 20, lr: 0.0005 }], { columnDigits: { lr: 5 } });
  assert.match(md, /\| 10 \| 0\.00100 \|/);
  assert.match(md, /\| 20 \| 0\.00050 \|/);
});

test('HTML escapes content and carries the title as caption', () => {
  const html = toHtml([{ 'a<b': '<script>x</script>', n: 1.5 }], { title: 'T & U' });
  assert.ok(!html.includes('<script>'));
  assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.match(html, /<caption[^>]*>T &amp; U<\/caption>/);
  assert.match(html, /<th>a&lt;b<\/th>/);
});

test('bad values fail with the row and column named, never a silent NaN cell', () => {
  assert.throws(() => toCsv([{ a: 1 }, { a: NaN }], { title: 'x' }), /table "x" row 1, column "a": NaN/);
  assert.throws(() => toMarkdown([{ a: Infinity }]), /row 0, column "a": Infinity/);
  assert.throws(() => toHtml([{ a: { nested: 1 } }]), /row 0, column "a": unsupported object/);
  assert.throws(() => toCsv([]), /no columns/);
});

test('writeTable writes CSV and Markdown and returns their paths; nothing written on bad input', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'table-'));
  try {
    const paths = writeTable(ROWS, path.join(dir, 'sub', 'nme'), { title: 'NME' });
    assert.deepEqual(paths, { csv: path.join(dir, 'sub', 'nme.csv'), md: path.join(dir, 'sub', 'nme.md') });
    assert.equal(fs.readFileSync(paths.csv, 'utf8'), toCsv(ROWS));
    assert.equal(fs.readFileSync(paths.md, 'utf8'), toMarkdown(ROWS, { title: 'NME' }));
    assert.throws(() => writeTable([{ a: NaN }], path.join(dir, 'bad')));
    assert.ok(!fs.existsSync(path.join(dir, 'bad.csv')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a danfo DataFrame renders like the rows it came from; showTable prints Markdown outside a notebook', () => {
  const df = toDataFrame(ROWS) as { columns: string[]; values: unknown[][] };
  assert.deepEqual(df.columns, ['loss', 'nme', 'fr', 'note']);
  assert.deepEqual(normaliseTable(df), normaliseTable(ROWS));
  const logged: string[] = [];
  const orig = console.log;
  console.log = (s: string) => void logged.push(s);
  try {
    showTable(ROWS, { title: 'NME' });
  } finally {
    console.log = orig;
  }
  assert.equal(logged.join('\n'), toMarkdown(ROWS, { title: 'NME' }));
});
