/** The README's numbers are generated from results/ (src/report/readme.ts, scripts/readme.ts): they must agree. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { blockNames, fillReadme } from '../src/report/readme';
import { readmeBlocks } from '../scripts/readme';

const README = path.join(__dirname, '..', 'README.md');

test('every generated block of README.md matches what results/ says (run `npm run readme` after new results)', () => {
  const text = fs.readFileSync(README, 'utf8');
  assert.deepEqual(blockNames(text).sort(), ['original-grid', 'quick', 'regime', 'speed']);
  const blocks = readmeBlocks();
  for (const name of blockNames(text)) {
    const want = fillReadme(`<!-- generated:${name} -->\nX\n<!-- end generated:${name} -->`, blocks);
    assert.ok(text.includes(want), `README block "${name}" is stale: run npm run readme`);
  }
});

test('fillReadme replaces only the marked blocks and refuses unknown ones', () => {
  const t = 'a\n<!-- generated:x -->\nold\n<!-- end generated:x -->\nb';
  assert.equal(fillReadme(t, { x: 'new' }), 'a\n<!-- generated:x -->\nnew\n<!-- end generated:x -->\nb');
  assert.throws(() => fillReadme(t, {}), /README block "x" has no generator/);
});
