/** The layout check (scripts/check-imports.ts) passes on src/ and catches what it exists to catch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { checkImports, importEdges } from '../scripts/check-imports';

const fixture = (name: string) => path.join(__dirname, 'fixtures', 'imports', name);

test('src/: every import points down the data flow and no files import each other in a circle', () => {
  const src = path.join(__dirname, '..', 'src');
  assert.ok(importEdges(src).length > 300, 'the parser sees the project\'s imports');
  assert.deepEqual(checkImports(src).map((v) => v.message), []);
});

test('a wrong-direction import is reported with its file and line', () => {
  const v = checkImports(fixture('upward'));
  assert.equal(v.length, 1);
  assert.equal(v[0].kind, 'upward');
  assert.match(v[0].message, /^data\/loader\.ts:2 imports train\/trainer\.ts: data \(layer 2\) must not import train \(layer 6\)/);
});

test('a cycle is reported with its files', () => {
  const v = checkImports(fixture('cycle'));
  assert.deepEqual(v.map((x) => x.kind), ['cycle']);
  assert.match(v[0].message, /loss\/star-kernel\.ts <-> loss\/star\.ts/);
});

test('static and dynamic imports downward pass', () => {
  assert.equal(importEdges(fixture('clean')).length, 2);
  assert.deepEqual(checkImports(fixture('clean')), []);
});
