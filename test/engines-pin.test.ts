/**
 * Training takes each library's kernels for this CPU by default (STAR_ENGINES=fastest); a grid pins them (AVX2 on every
 * machine), because its seeds pair and resume across sessions and nodes of other machine types. Each place that
 * launches a grid's training processes sets the pin unless the user set STAR_ENGINES: the lines are run in bash here,
 * with and without the user's choice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { enginesChoice } from 'tfjs-wasm-train';
import { arrayScript, type SubmissionPlan } from '../src/experiments/slurm';

const root = path.resolve(__dirname, '..');

/** STAR_ENGINES after running `lines` in bash with the given environment. */
function enginesAfter(lines: string[], starEngines: string | undefined): string {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...(starEngines === undefined ? {} : { STAR_ENGINES: starEngines }) };
  const r = spawnSync('bash', ['-c', `${lines.join('\n')}\nprintf %s "$STAR_ENGINES"`], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The script's `export` lines that set STAR_ENGINES (with the other variables they set). */
const engineExports = (text: string, where: string): string[] => {
  const lines = text.split('\n').filter((l) => /^export .*STAR_ENGINES=/.test(l));
  assert.equal(lines.length, 1, `${where} sets STAR_ENGINES once`);
  return lines;
};

test('the default engines are this CPU\'s own (fastest)', () => {
  assert.equal(enginesChoice({}), 'fastest');
});

for (const script of ['scripts/run-grid.sh', 'scripts/run-full.sh']) {
  test(`${script} pins the engines unless STAR_ENGINES is set`, () => {
    const lines = engineExports(fs.readFileSync(path.join(root, script), 'utf8'), script);
    assert.equal(enginesAfter(lines, undefined), 'pinned');
    assert.equal(enginesAfter(lines, 'fastest'), 'fastest');
    assert.equal(enginesChoice({ STAR_ENGINES: enginesAfter(lines, undefined) }), 'pinned', 'the value the training process reads');
  });
}

test('a Slurm array task pins the engines unless STAR_ENGINES is set (sbatch exports the submitter\'s environment)', () => {
  const plan: SubmissionPlan = {
    experiment: 'x', experimentArg: 'x', profile: 'smoke', resultsRoot: 'results', runs: [{ arm: 'a', seed: 1 }], resources: {},
  };
  const lines = engineExports(arrayScript(plan, 'results/slurm/x/1', 'x'), 'the array script');
  assert.equal(enginesAfter(lines, undefined), 'pinned');
  assert.equal(enginesAfter(lines, 'fastest'), 'fastest');
});
