import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const star = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli.ts'), ...args], { encoding: 'utf8', cwd: root, timeout: 60_000 });

test('the CLI lists its commands and rejects bad arguments with a clear message and exit code 2', () => {
  const help = star('--help');
  assert.equal(help.status, 0);
  for (const c of ['experiment', 'generate', 'evaluate', 'predict', 'tables', 'model', 'bench']) assert.match(help.stdout, new RegExp(`\\b${c}\\b`));
  const unknown = star('frobnicate');
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
  const badExp = star('experiment', 'nope');
  assert.equal(badExp.status, 2);
  assert.match(badExp.stderr, /unknown experiment "nope"/);
  const badOpt = star('predict', '--checkpoint', 'x', '--image', 'y', '--box', '1,2,3');
  assert.equal(badOpt.status, 2);
  assert.match(badOpt.stderr, /--box: expected x1,y1,x2,y2/);
  const badProfile = star('experiment', 'main', '--profile', 'huge');
  assert.equal(badProfile.status, 2);
  assert.match(badProfile.stderr, /--profile: expected one of smoke, quick, full/);
});

test('model --preset paper reports both parameter counts', () => {
  const r = star('model', '--preset', 'paper');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /13\.47\d M used/);
  assert.match(r.stdout, /17\.1[78]\d M/);
});
