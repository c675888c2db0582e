/**
 * The headless notebook runner: a good fixture passes and its executed copy keeps the outputs; failing
 * fixtures (a runtime throw, a type error) make it exit non-zero with the real message and the cell index,
 * which `jupyter nbconvert --execute` would hide behind an empty `<Error>:`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveNotebooks, SYSTEM_PYTHON } from '../scripts/run-notebooks';
import { requireSetup } from './helpers/setup';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'notebooks');
const haveJupyter =
  spawnSync(SYSTEM_PYTHON, ['-c', 'import nbclient, nbformat, jupyter_client'], { encoding: 'utf8' }).status === 0;
const haveTslab = fs.existsSync(path.join(ROOT, 'node_modules', 'tslab', 'bin', 'tslab'));
const skip = !haveJupyter
  ? `${SYSTEM_PYTHON} cannot import nbclient/jupyter_client (run npm run setup)`
  : !haveTslab
    ? 'node_modules/tslab missing (run npm ci)'
    : false;

function runner(args: string[]) {
  const r = spawnSync(
    'timeout',
    ['180', process.execPath, '--import', 'tsx', path.join(ROOT, 'scripts', 'run-notebooks.ts'), ...args],
    { cwd: ROOT, encoding: 'utf8', env: { ...process.env, STAR_PROFILE: 'smoke' } },
  );
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
}

test('resolveNotebooks: names with or without .ipynb, unknown names listed with what exists', () => {
  assert.deepEqual(
    resolveNotebooks(FIXTURES, ['good', 'fail-type.ipynb']).map((p) => path.basename(p)),
    ['good.ipynb', 'fail-type.ipynb'],
  );
  assert.deepEqual(
    resolveNotebooks(FIXTURES).map((p) => path.basename(p)),
    ['fail-throw.ipynb', 'fail-type.ipynb', 'good.ipynb'],
  );
  assert.throws(() => resolveNotebooks(FIXTURES, ['nope']), /notebook "nope" not found.*available: fail-throw\.ipynb/);
});

test('a good notebook passes; outputs, display bundle and the watch fix hold', () => {
  requireSetup(skip);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nb-good-'));
  try {
    // One notebook (one kernel start) covers three things: plain outputs, rich display, the watch fix.
    const r = runner(['--dir', FIXTURES, '--out', out, 'good']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /ok\s+good\.ipynb/);
    const read = (name: string) => JSON.parse(fs.readFileSync(path.join(out, name), 'utf8'));
    const streams = (nb: { cells: { outputs: { text?: string | string[] }[] }[] }) =>
      nb.cells.map((c) => c.outputs.map((o) => [o.text ?? ''].flat().join('')).join(''));
    const nb = read('good.ipynb');
    assert.deepEqual(streams(nb).slice(0, 2), ['answer=42\n', 'root-ok=true\n']); // kernel ran in the project root
    const sourceIds = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'good.ipynb'), 'utf8')).cells.map((c: { id: string }) => c.id);
    assert.deepEqual(nb.cells.map((c: { id: string }) => c.id), sourceIds, 'executing a notebook keeps its cell ids');

    // showFigure x2 + showTable: static PNG first, then the interactive figure; the Plotly bundle only once.
    const outputs: { output_type: string; data?: Record<string, string | string[]> }[] = nb.cells[2].outputs;
    const kinds = outputs.map((o) => Object.keys(o.data ?? {}).join('+') || o.output_type);
    assert.deepEqual(kinds, ['image/png', 'text/html', 'image/png', 'text/html', 'text/html'], JSON.stringify(kinds));
    const html = (i: number) => [outputs[i].data!['text/html']].flat().join('');
    assert.ok(html(1).length > 1_000_000 && html(1).includes('plotly.js'), 'first figure carries the bundle');
    assert.ok(html(3).length < 20_000 && !html(3).includes('plotly.js (cartesian'), 'second figure does not');
    assert.match(html(3), /Plotly\.newPlot/);
    const png = Buffer.from([outputs[0].data!['image/png']].flat().join(''), 'base64');
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.match(html(4), /<caption[^>]*>fixture table<\/caption>/);

    // A file created in a watched folder mid-session used to fail every later cell (tslab-watch-fix.cjs).
    assert.deepEqual(streams(nb).slice(3), ['value=41\n', '', 'still running=42\n']);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
    for (const f of fs.readdirSync(path.join(FIXTURES, 'watch-lib'))) {
      if (f.startsWith('created-')) fs.rmSync(path.join(FIXTURES, 'watch-lib', f));
    }
  }
});

test('failing notebooks exit non-zero with the cell index and the real error', () => {
  requireSetup(skip);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nb-fail-'));
  try {
    const r = runner(['--dir', FIXTURES, '--out', out, 'fail-throw', 'fail-type']);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL\s+fail-throw\.ipynb: cell 1 failed/);
    assert.match(r.out, /Error: deliberate fixture failure 7f3a/);
    assert.match(r.out, /FAIL\s+fail-type\.ipynb: cell 0 failed/);
    assert.match(r.out, /Type 'string' is not assignable to type 'number'/);
    assert.match(r.out, /0 passed, 2 failed/);
    // The partial copy keeps what ran before the failure, and nothing after it.
    const nb = JSON.parse(fs.readFileSync(path.join(out, 'fail-throw.ipynb'), 'utf8'));
    assert.match(JSON.stringify(nb.cells[0].outputs), /before the failure/);
    assert.deepEqual(nb.cells[2].outputs, []);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('every notebook is valid nbformat 4.5 with stable, unique cell ids (nbformat.validate, missing ids are errors)', () => {
  requireSetup(haveJupyter ? false : `${SYSTEM_PYTHON} cannot import nbformat (run npm run setup)`);
  const files = ['notebooks', path.join('results', 'notebooks'), path.join('test', 'fixtures', 'notebooks')]
    .flatMap((d) => fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.ipynb')).map((f) => path.join(d, f)));
  assert.ok(files.filter((f) => f.startsWith('notebooks')).length >= 10, files.join(' '));
  // nbformat adds random ids to cells without one (and only warns); here that warning is an error, so an id-less cell
  // fails instead of getting a new id on every run.
  const check = `
import json, sys, warnings, nbformat
from nbformat.warnings import MissingIDFieldWarning
warnings.simplefilter('error', MissingIDFieldWarning)
bad = []
for f in sys.argv[1:]:
    nb = json.load(open(f, encoding='utf-8'))
    try:
        nbformat.validate(nb, version=4, version_minor=5)
        ids = [c.get('id') for c in nb['cells']]
        if None in ids: raise ValueError('a cell without an id')
        if len(set(ids)) != len(ids): raise ValueError('duplicate cell ids')
        if (nb['nbformat'], nb['nbformat_minor']) != (4, 5): raise ValueError('not nbformat 4.5')
    except Exception as e:
        bad.append(f + ': ' + str(e).splitlines()[0])
print('\\n'.join(bad))
sys.exit(1 if bad else 0)
`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', check, ...files], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
});

test('setup\'s kernel check sees the tslab kernel every time (no BrokenPipe false alarm) and reports a missing one', () => {
  requireSetup(skip);
  const jp = spawnSync('bash', [path.join(ROOT, 'scripts', 'kernel', 'install-kernelspec.sh')], { encoding: 'utf8' }).stdout.trim();
  const check = (p: string) => spawnSync('bash', [path.join(ROOT, 'scripts', 'kernel', 'check-kernelspec.sh'), p], { encoding: 'utf8' }).status;
  // The former `jupyter kernelspec list | grep -q tslab` under pipefail failed 1 run in 10 here.
  for (let i = 0; i < 6; i++) assert.equal(check(jp), 0, `run ${i}: tslab not seen in ${jp}`);
  assert.equal(check(fs.mkdtempSync(path.join(os.tmpdir(), 'no-kernels-'))), 1);
});

test('an unknown notebook name is a usage error (exit 2), not a crash', () => {
  const r = runner(['--dir', FIXTURES, 'does-not-exist']);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /notebook "does-not-exist" not found/);
});

test('committed executed notebooks and tables never name the folder of the machine that made them', () => {
  // The checkout's own folder, and the folder beside it that holds ../shared (unless that is the file system's root).
  const parent = path.dirname(ROOT);
  const needles = [ROOT + path.sep, ...(parent === path.parse(parent).root ? [] : [parent + path.sep])];
  const files = ['results/notebooks', 'results/tables'].flatMap((d) => fs.readdirSync(path.join(ROOT, d), { withFileTypes: true })
    .filter((e) => e.isFile()).map((e) => path.join(d, e.name)));
  assert.ok(files.length > 20, `too few committed outputs found (${files.length})`);
  const naming = files.filter((f) => { const text = fs.readFileSync(path.join(ROOT, f), 'utf8'); return needles.some((n) => text.includes(n)); });
  assert.deepEqual(naming, [], `these committed outputs contain ${needles.join(' or ')}: re-run STAR_PROFILE=full npm run notebooks`);
});
