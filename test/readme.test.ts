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

test('run-length line: hand-computed gap from two run folders of each length (a resumed step keeps its last value)', async () => {
  const os = await import('os');
  const { runLengthLine } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readme-length-'));
  const run = (name: string, vals: [number, number][]) => {
    const dir = path.join(root, 'runs', 'regime-pilot', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), vals.map(([step, nme]) => JSON.stringify({ step, val: { nme, fr: 0, auc: 0 } })).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
  };
  run('a-coord-s1', [[500, 0.2], [1000, 0.11], [1000, 0.1]]);
  run('a-coord-s2', [[500, 0.2], [1000, 0.12]]);
  run('a-coord-long-s1', [[500, 0.2], [1000, 0.1], [2500, 0.09]]);
  run('a-coord-long-s2', [[500, 0.2], [1000, 0.1], [2500, 0.1]]);
  run('c-star-s1', [[500, 0.1]]); // no long twin: left out
  // Seed means: chosen best 0.11 at 1000; longer best 0.095 at 2500; gap 0.015 / 0.095.
  assert.equal(runLengthLine(root, { 'a-coord': 'A' }),
    `A 11.00% at step 1,000 vs 9.50% at step 2,500 of the 2.5× run (+${(100 * 0.015 / 0.095).toFixed(2)}%, 2 seeds: beyond 2%)`);
  fs.rmSync(root, { recursive: true });
});
