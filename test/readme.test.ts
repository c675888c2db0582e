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
  const run = (experiment: string, name: string, vals: [number, number][], commit = 'abc1234') => {
    const dir = path.join(root, 'runs', experiment, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), vals.map(([step, nme]) => JSON.stringify({ step, val: { nme, fr: 0, auc: 0 } })).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({ gitCommit: commit, backend: 'wasm', threads: 1, customKernels: [], starLossKernels: 'host', tfjs: '4.22.0' }));
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
  };
  run('regime-pilot', 'a-coord-s1', [[500, 0.2], [1000, 0.11], [1000, 0.1]]);
  run('regime-pilot', 'a-coord-s2', [[500, 0.2], [1000, 0.12]]);
  run('regime-pilot', 'a-coord-long-s1', [[500, 0.2], [1000, 0.1], [2500, 0.09]]);
  run('regime-pilot', 'a-coord-long-s2', [[500, 0.2], [1000, 0.1], [2500, 0.1]]);
  run('regime-pilot', 'c-star-s1', [[500, 0.1]]); // no long twin: left out
  // Second stage, across experiments: the 2.5x runs against regime-length's 40k runs (seed 1 only finished there).
  run('regime-length', 'a-coord-40k-s1', [[500, 0.2], [5000, 0.0891]]);
  fs.mkdirSync(path.join(root, 'runs', 'regime-length', 'a-coord-40k-s2')); // started, not finished: left out
  // Seed means, stage 1: chosen best 0.11 at 1000; longer best 0.095 at 2500; gap 0.015 / 0.095.
  // Stage 2, seed 1: best 0.09 at 2500 vs 0.0891 at 5000: gap 0.0009 / 0.0891 = +1.01%, within 2%.
  assert.equal(runLengthLine(root, { 'a-coord': 'A' }),
    `8,000 vs 20,000 steps: A 11.00% at step 1,000 vs 9.50% at step 2,500 (+${(100 * 0.015 / 0.095).toFixed(2)}%, 2 seeds: beyond 2%). ` +
    `20,000 vs 40,000 steps: A 9.00% at step 2,500 vs 8.91% at step 5,000 (+${(100 * 0.0009 / 0.0891).toFixed(2)}%, 1 seed: within 2%)`);
  // Runs of another commit are never compared: the stage-2 pair drops out of the line.
  run('regime-length', 'a-coord-40k-s1', [[500, 0.2], [5000, 0.0891]], 'def5678');
  const { lengthChecks, LENGTH_STAGES } = await import('../src/report/pilot');
  const row = lengthChecks(root, LENGTH_STAGES[1])[0];
  assert.equal(row.check, null);
  assert.match(row.missing ?? '', /other code or kernels.*abc1234.*def5678|other code or kernels.*def5678.*abc1234/);
  assert.equal(runLengthLine(root, { 'a-coord': 'A' })?.includes('20,000 vs 40,000'), false);
  fs.rmSync(root, { recursive: true });
});
