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

test('your own experiment as a JSON spec: --print round-trips; bad files name the line or the field; a smoke run trains', () => {
  const fs = require('fs') as typeof import('fs');
  const os = require('os') as typeof import('os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-spec-'));
  const printed = star('experiment', 'ablation-omega', '--print');
  assert.equal(printed.status, 0, printed.stderr);
  const omega = JSON.parse(printed.stdout);
  assert.equal(omega.name, 'ablation-omega');
  assert.equal(omega.arms.length, 6);
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{\n  "name": "x",\n  "arms": [\n    {"id": "a" "label": "b"}\n  ]\n}\n');
  const r1 = star('experiment', bad, '--profile', 'smoke');
  assert.notEqual(r1.status, 0);
  assert.match(r1.stderr, /bad\.json: not valid JSON at line 4/);
  const wrong = path.join(dir, 'wrong.json');
  fs.writeFileSync(wrong, JSON.stringify({ name: 'my-omega', arms: [{ id: 'a', label: 'A', loss: { kind: 'star', options: { omega: -1 } } }] }));
  const r2 = star('experiment', wrong, '--profile', 'smoke');
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /wrong\.json: field "arms\[0\]\.loss\.options": omega must be a finite number >= 0/);
  const mine = path.join(dir, 'mine.json');
  const name = `test-json-spec-${process.pid}`;
  fs.writeFileSync(mine, JSON.stringify({
    name, arms: [{ id: 'w0', label: 'ω = 0', loss: { kind: 'star', options: { omega: 0 } } }, { id: 'w3', label: 'ω = 3', loss: { kind: 'star', options: { omega: 3 } } }],
    comparisons: [['w0', 'w3']],
  }));
  const r3 = star('experiment', mine, '--profile', 'smoke');
  try {
    assert.equal(r3.status, 0, r3.stderr);
    assert.match(r3.stdout, /\| w3 \| ω = 3 \| STAR\(smoothl1, ω=3, detach=none\)/);
    assert.ok(fs.existsSync(path.join(root, 'results', 'local', 'smoke', 'runs', name, 'w3-s1', 'summary.json')));
  } finally {
    fs.rmSync(path.join(root, 'results', 'local', 'smoke', 'runs', name), { recursive: true, force: true });
    for (const sub of ['tables', 'figures']) {
      const d = path.join(root, 'results', 'local', 'smoke', sub);
      if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) if (f.startsWith(name)) fs.rmSync(path.join(d, f));
    }
  }
});
