/**
 * The command line as a user meets it, each case a child process (src/cli/main.ts): every command's --help prints
 * usage and does no work; unknown options and bad values exit 2 with a message naming the option; evaluate and
 * predict write beside the checkpoint and say where. Cheap: nothing here trains except the one smoke spec run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UsageError, type Command } from '../src/cli/args';
import { evaluate } from '../src/cli/evaluate';
import { experiment } from '../src/cli/experiment';
import { generate } from '../src/cli/generate';
import { model } from '../src/cli/model';
import { predict } from '../src/cli/predict';
import { tables } from '../src/cli/tables';
import { train } from '../src/cli/train';
import { findJsonSyntaxError } from '../src/util/json-syntax';

const root = path.resolve(__dirname, '..');
const fixtures = path.join(root, 'test', 'fixtures', 'formats');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'star-cli-'));
const COMMANDS = ['experiment', 'train', 'generate', 'evaluate', 'predict', 'tables', 'model', 'bench'];

interface Run { args: string[]; status: number | null; stdout: string; stderr: string }

/** Run the CLI; a backend that cannot exist makes any command that starts one fail loudly (help must not). */
function star(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), ...args], {
      cwd: root, timeout: 120_000, env: { ...process.env, STAR_PROFILE: 'smoke', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ args, status, stdout, stderr }));
  });
}

/** Run many invocations, a few at a time. */
async function starAll(cases: string[][], env: NodeJS.ProcessEnv = {}, parallel = 3): Promise<Run[]> {
  const out: Run[] = new Array(cases.length);
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < cases.length) {
      const k = next++;
      out[k] = await star(cases[k], env);
    }
  }));
  return out;
}

const HANDLERS: Record<string, Command> = { experiment, train, generate, evaluate, predict, tables, model };

const listing = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []);

// A folder that passes the --checkpoint check (model.json present) without being a model: validation must stop
// every bad invocation before anything would load it.
const fakeRun = path.join(tmp, 'fake-run');
fs.mkdirSync(path.join(fakeRun, 'best'), { recursive: true });
fs.writeFileSync(path.join(fakeRun, 'best', 'model.json'), '{}');

test('--help of every command prints its usage, exits 0 and does no work (bench included: no files written)', async () => {
  const benchDirs = [path.join(root, 'results', 'bench'), path.join(root, 'results', 'local', 'bench')];
  const before = benchDirs.map(listing);
  const runs = await starAll([['--help'], ...COMMANDS.map((c) => [c, '--help']), ['evaluate', '-h'], ['experiment', 'main', '--help']], { STAR_BACKEND: 'no-such-backend' });
  for (const r of runs) {
    assert.equal(r.status, 0, `${r.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /usage:/, r.args.join(' '));
  }
  for (const c of COMMANDS) assert.match(runs[0].stdout, new RegExp(`\\b${c}\\b`));
  const bench = runs[1 + COMMANDS.indexOf('bench')];
  assert.match(bench.stdout, /--nets/, 'star bench --help shows the benchmark\'s own options');
  assert.doesNotMatch(bench.stderr, /\[bench\]/, 'the benchmark did not start');
  assert.deepEqual(benchDirs.map(listing), before, 'bench --help wrote no report');
});

test('train --help states the trainer\'s actual defaults', async () => {
  const [r] = await starAll([['train', '--help']]);
  const { OWN_DATA_DEFAULTS: D } = await import('../src/train/own-data');
  const stated = (option: string) => {
    const m = new RegExp(`--${option} [^\\n]*?\\(default ([^;),\\s]+)`).exec(r.stdout);
    assert.ok(m, `--${option} has a stated default`);
    return m[1];
  };
  assert.equal(stated('preset'), D.preset);
  assert.equal(stated('augment'), D.augment);
  for (const [option, value] of [['steps', D.steps], ['batch', D.batchSize], ['seed', D.seed], ['lr', D.lr], ['val-fraction', D.valFraction], ['workers', D.workers]] as const) {
    assert.equal(Number(stated(option)), value, `--${option}`);
  }
  // --data synthetic: the profile's sizes, as the experiments use them.
  const { PROFILE_SCALE } = await import('../src/experiments/spec');
  for (const [p, s] of Object.entries(PROFILE_SCALE)) {
    const m = new RegExp(`${p} ([\\d,]+)/([\\d,]+)/([\\d,]+)(?: faces)?, ([\\d,]+) steps of batch (\\d+)`).exec(r.stdout);
    assert.ok(m, `--profile ${p} sizes stated`);
    assert.deepEqual(m.slice(1).map((x) => Number(x.replace(/,/g, ''))), [s.counts.train, s.counts.val, s.counts.test, s.steps, s.batchSize], p);
    assert.equal(s.preset, 'cpu-tiny', 'the help says "all cpu-tiny"');
    assert.equal(s.lr, 3e-3, 'the help says "lr 3e-3"');
  }
});

test('an unknown option is an error naming it (exit 2) for every command', async () => {
  const runs = await starAll(COMMANDS.map((c) => [c, '--frobnicate', 'x']));
  for (const r of runs) {
    assert.equal(r.status, 2, `${r.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /unknown option --frobnicate/, r.args.join(' '));
  }
  const [unknownCommand] = await starAll([['frobnicate']]);
  assert.equal(unknownCommand.status, 2);
  assert.match(unknownCommand.stderr, /unknown command "frobnicate"/);
});

test('every option is validated before any work, with a message naming it', async () => {
  // The whole table runs in this process (the commands' own handlers, a few ms each); a sample of it, and the bench
  // script's checks, below as child processes for the exit code. A check that let a case through would reach the backend,
  // which cannot start here.
  const saved = { profile: process.env.STAR_PROFILE, backend: process.env.STAR_BACKEND };
  process.env.STAR_PROFILE = 'smoke';
  process.env.STAR_BACKEND = 'no-such-backend';
  const outDir = path.join(tmp, 'out');
  const aFile = path.join(tmp, 'a-file.txt');
  fs.writeFileSync(aFile, 'not an image\n');
  const face = path.join(fixtures, 'img', 'face.png'); // 100 x 100
  const wflw = path.join(fixtures, 'wflw_rect_attr.txt');
  const badPreset = path.join(tmp, 'bad-preset.json');
  fs.writeFileSync(badPreset, JSON.stringify({ name: 'my-presets', model: { preset: 'huge' }, arms: [{ id: 'a', label: 'A', loss: { kind: 'star' } }] }));
  const truncated = path.join(tmp, 'truncated.json');
  fs.writeFileSync(truncated, '{\n  "name": "cut",\n  "arms": [\n');
  const badWord = path.join(tmp, 'bad-word.json');
  fs.writeFileSync(badWord, '{\n  "name": "w",\n  "seeds": [1, 2],\n  "arms": tru\n}\n');
  const train = ['train', '--data', 'synthetic', '--out', outDir];
  const cases: Array<[string[], RegExp]> = [
    [[...train, '--lr=-1'], /--lr: expected a number > 0, got "-1"/],
    [[...train, '--lr', '-1'], /'--lr' argument is ambiguous/],
    [[...train, '--steps', '0'], /--steps: expected an integer >= 1, got "0"/],
    [[...train, '--steps', '2.5'], /--steps: expected an integer >= 1, got "2.5"/],
    [[...train, '--batch', '0x10'], /--batch: expected an integer >= 1, got "0x10"/],
    [[...train, '--seed', 'one'], /--seed: expected an integer >= 0, got "one"/],
    [[...train, '--val-fraction', '1'], /--val-fraction: expected a number in \(0, 1\), got "1"/],
    [[...train, '--val-fraction', '0.1'], /--val-fraction sets the hold-out of your own data; the synthetic benchmark has its own validation split/],
    [['train', '--data', wflw, '--out', outDir, '--profile', 'smoke'], /--profile sizes the synthetic benchmark \(--data synthetic\)/],
    [[...train, '--ema-horizon', '0'], /--ema-horizon: expected a number in \(0, 1\]/],
    [[...train, '--omega=-1'], /--omega: expected a number >= 0/],
    [[...train, '--workers', '1.5'], /--workers: expected an integer >= 0/],
    [[...train, '--augment', 'heavy'], /--augment: unknown augmentation "heavy", expected one of official, cpu, none/],
    [[...train, '--distance', 'l3'], /--distance: unknown distance "l3", expected one of smoothl1, l1, l2/],
    [[...train, '--preset', 'huge'], /--preset: unknown preset "huge", expected one of paper, cpu-small, cpu-128, cpu-tiny/],
    [[...train, '--loss', 'heatmap-mse', '--omega', '2'], /--omega applies to --loss star only/],
    [[...train, '--format', 'tsv'], /--format applies to a dataset path, not --data synthetic/],
    [['train', '--data', wflw, '--out', outDir, '--format', 'xml'], /--format: unknown format "xml", expected one of wflw, wflw-attributes, tsv, coco, pts, cofw/],
    [['train', '--data', wflw, '--out', outDir, '--format', 'wflw', '--val', path.join(fixtures, 'coco.json')], /--format wflw applies to --val too, but .*coco\.json looks like coco/],
    [['train', '--data', path.join(tmp, 'nope'), '--out', outDir], /--data: no such file or folder: .*nope/],
    [['train', '--data', 'synthetic', '--out', outDir, '--val', path.join(tmp, 'nope')], /--val: no such file or folder/],
    [['train', '--data', 'synthetic'], /--out is required/],
    // Node's recursive mkdir never returns on /proc: the check must refuse it, not try it.
    [['train', '--data', 'synthetic', '--out', '/proc/star-cli-test/run'], /--out: \/proc\/star-cli-test\/run is on a virtual file system/],
    [['train', '--data', 'synthetic', '--out', path.join(aFile, 'run')], /--out: cannot create .*: .*a-file\.txt is a file/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--limit', '0'], /--limit: expected an integer >= 1, got "0"/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--split', 'val'], /--split: unknown split "val", expected one of train, test/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--scheme', 'wflw99'], /--scheme: unknown scheme "wflw99", expected one of wflw98, 300w68, cofw29/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--format', 'xml'], /--format: unknown format "xml"/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--image-root', path.join(tmp, 'nope')], /--image-root: no such folder/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--out', '/proc/eval.json'], /--out: \/proc\/eval\.json is on a virtual file system/],
    [['evaluate', '--checkpoint', fakeRun, '--data', wflw, '--out', tmp], /--out: .* is a folder; expected a file name/],
    [['evaluate', '--checkpoint', fakeRun, '--data', 'synthetic'], /--data synthetic needs --checkpoint to be a run folder with config\.json/],
    [['evaluate', '--checkpoint', path.join(tmp, 'nope'), '--data', wflw], /--checkpoint: no such folder/],
    [['evaluate', '--checkpoint', tmp, '--data', wflw], /--checkpoint: no checkpoint at/],
    [['evaluate', '--data', wflw], /--checkpoint is required/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--box', '1,2,3'], /--box: expected x1,y1,x2,y2 \(four numbers\)/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--box', '10,10,5,20'], /--box: expected x1 < x2 and y1 < y2/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--box', '20,30,180,90'], /--box 20,30,180,90 is not inside the 100x100 image/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--box=-5,0,50,50'], /--box -5,0,50,50 is not inside/],
    [['predict', '--checkpoint', fakeRun, '--image', path.join(tmp, 'nope.png')], /--image: no such file/],
    [['predict', '--checkpoint', fakeRun, '--image', aFile], /--image: cannot read .*a-file\.txt as an image/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--out', '/sys/face'], /--out: \/sys\/face is on a virtual file system/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--min-score', '1'], /--min-score: expected a number in \(0, 1\), got "1"/],
    [['predict', '--checkpoint', fakeRun, '--image', face, '--min-score', '0.3', '--box', '0,0,50,50'], /--min-score applies to the face detector; --box skips it/],
    [['generate', '--size', '8'], /--size: expected an integer in \[32, 1024\], got 8/],
    [['generate', '--train', '0'], /--train: expected an integer >= 1, got "0"/],
    [['generate', '--tangent', 'wide'], /--tangent: expected a number >= 0, got "wide"/],
    [['generate', '--profile', 'huge'], /--profile: unknown profile "huge", expected one of smoke, quick, full/],
    [['experiment', 'main', '--seeds', '1,x'], /--seeds "1,x": expected an integer >= 0, got "x"/],
    [['experiment', 'main', '--seeds', '9'], /--seeds 9: none of them is among main's seeds in the smoke profile \(1\)/],
    [['experiment', 'main', '--workers=-1'], /--workers: expected an integer >= 0, got "-1"/],
    [['experiment', 'main', '--only', 'nope'], /--only nope: no such arm in main \(arms: coord-smoothl1, star-smoothl1, heatmap-mse\)/],
    [['experiment', 'main', '--profile', 'huge'], /--profile: unknown profile "huge"/],
    [['experiment', 'nope'], /unknown experiment "nope"/],
    [['experiment'], /experiment name missing/],
    [['experiment', 'main', 'extra'], /unexpected argument "extra"/],
    [['experiment', 'main', '--partition', 'gpu'], /--partition is an option of --executor slurm/],
    [['experiment', 'main', '--executor', 'pbs'], /--executor: unknown executor "pbs", expected one of local, slurm/],
    [['experiment', 'main', '--executor', 'slurm', '--time', '2h'], /--time: expected a time limit like 02:00 \(HH:MM\), 90 \(minutes\) or 1-12:00:00, got "2h"/],
    [['experiment', 'main', '--executor', 'slurm', '--cpus', '0'], /--cpus: expected an integer >= 1, got "0"/],
    [['experiment', 'main', '--executor', 'slurm', '--mem', 'lots'], /--mem: expected an amount like 8G or 4000M, got "lots"/],
    [['experiment', 'main', '--status', '--executor', 'slurm'], /--status only reports/],
    [['experiment', 'main', '--results', '/proc/results'], /--results: \/proc\/results is on a virtual file system/],
    [['tables', 'nope'], /unknown experiment "nope"/],
    [['model', '--preset', 'huge'], /--preset: unknown preset "huge", expected one of paper, cpu-small, cpu-128, cpu-tiny/],
  ];
  try {
    for (const [args, expected] of cases) {
      const command = HANDLERS[args[0]];
      await assert.rejects(command.run(args.slice(1)), (e: Error) => {
        assert.ok(e instanceof UsageError, `${args.join(' ')}: ${e.stack}`);
        assert.match(e.message, expected, args.join(' '));
        return true;
      });
    }
  } finally {
    process.env.STAR_PROFILE = saved.profile;
    process.env.STAR_BACKEND = saved.backend;
    if (saved.profile === undefined) delete process.env.STAR_PROFILE;
    if (saved.backend === undefined) delete process.env.STAR_BACKEND;
  }
  assert.ok(!fs.existsSync(outDir), 'no invocation got as far as creating --out');

  const spawned: Array<[string[], RegExp]> = [
    // The /proc outputs (where a mkdir would spin) and a box outside the image (read from the image's header).
    ...cases.filter(([args]) => args.some((a) => a.startsWith('/proc/')) || args.includes('20,30,180,90')),
    [['bench', '--steps', '3'], /--steps: expected an integer >= 5, got "3"/],
    [['bench', '--rss', '--nets', 'convnet'], /--nets does not apply with --rss \(use --net\)/],
    [['bench', '--out', '/proc/bench'], /--out: \/proc\/bench is on a virtual file system/],
  ];
  const runs = await starAll(spawned.map(([args]) => args), { STAR_BACKEND: 'no-such-backend' });
  runs.forEach((r, k) => {
    assert.equal(r.status, 2, `${r.args.join(' ')} -> ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, spawned[k][1], r.args.join(' '));
  });

  // Bad spec files are bad input, not bad usage (exit 1), located all the same.
  const specRuns = await starAll([['experiment', badPreset], ['experiment', truncated], ['tables', badWord]]);
  for (const r of specRuns) assert.equal(r.status, 1, `${r.args.join(' ')}: ${r.stderr}`);
  assert.match(specRuns[0].stderr, /bad-preset\.json: field "model\.preset": unknown preset "huge", expected one of paper, cpu-small, cpu-128, cpu-tiny/);
  // JSON.parse says only "Unexpected end of JSON input" here: the place is the end of the file.
  assert.match(specRuns[1].stderr, /truncated\.json: not valid JSON at line 4, column 1: expected a value, found the end of the file/);
  assert.match(specRuns[2].stderr, /bad-word\.json: not valid JSON at line 4, column 14: expected true, found "\\n"/);
});

test('JSON syntax errors are located whatever JSON.parse says: seeded mutations of a spec agree with it on valid/invalid and on its positions', async () => {
  const { EXPERIMENTS } = await import('../src/experiments/ablations');
  const text = JSON.stringify(EXPERIMENTS['ablation-omega'], null, 2);
  assert.equal(findJsonSyntaxError(text), null);
  let s = 7;
  const rnd = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) % n);
  const alphabet = '{}[]",:0-.e tn\\\n';
  let invalid = 0;
  for (let k = 0; k < 1000; k++) {
    const at = rnd(text.length);
    const mutated = k % 2 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + alphabet[rnd(alphabet.length)] + text.slice(at);
    let v8: string | null = null;
    try {
      JSON.parse(mutated);
    } catch (e) {
      v8 = (e as Error).message;
    }
    const ours = findJsonSyntaxError(mutated);
    assert.equal(ours === null, v8 === null, `${JSON.stringify(mutated.slice(Math.max(0, at - 20), at + 20))}: ours ${JSON.stringify(ours)}, JSON.parse ${v8}`);
    if (!ours || !v8) continue;
    invalid++;
    const lines = mutated.slice(0, ours.offset).split('\n');
    assert.equal(ours.line, lines.length);
    assert.equal(ours.column, lines[lines.length - 1].length + 1);
    // Where V8 names a position it is ours, except inside strings (V8 points past a bad escape or at the end of an
    // unclosed string; we point at the escape and at the opening quote).
    const m = /at position (\d+)/.exec(v8);
    if (m && !/string|escape/i.test(v8)) assert.equal(ours.offset, Number(m[1]), `${v8} vs ${JSON.stringify(ours)}`);
  }
  assert.ok(invalid > 300, `${invalid} of 1000 mutations were invalid JSON`);
  const end = findJsonSyntaxError(text.slice(0, -1));
  assert.deepEqual([end?.line, end?.reason], [text.split('\n').length, "expected ',' or '}' after a property value, found the end of the file"]);
});

test('evaluate and predict write beside the checkpoint by default (or to --out) and say where; the image hint names --image-root', async () => {
  const { initBackend } = await import('tfjs-wasm-train');
  const { buildHourglass } = await import('../src/model/hourglass');
  const { modelConfig } = await import('../src/model/config');
  const { saveCheckpoint } = await import('../src/model/checkpoint');
  await initBackend({ quiet: true });
  const run = path.join(tmp, 'my-run');
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 4 });
  await saveCheckpoint(path.join(run, 'best'), { model: model.params.all(), state: { modelConfig: model.config } });
  model.params.dispose();
  // The WFLW list without its images beside it.
  const moved = path.join(tmp, 'moved');
  fs.mkdirSync(moved);
  fs.copyFileSync(path.join(fixtures, 'wflw_rect_attr.txt'), path.join(moved, 'list.txt'));
  const face = path.join(fixtures, 'img', 'face.png');
  const custom = path.join(tmp, 'custom', 'pred');
  const [noImage, withRoot, predicted, predictedOut, noFace] = await starAll([
    ['evaluate', '--checkpoint', run, '--data', path.join(moved, 'list.txt')],
    ['evaluate', '--checkpoint', path.join(run, 'best'), '--data', path.join(moved, 'list.txt'), '--image-root', fixtures],
    ['predict', '--checkpoint', run, '--image', face, '--box', '20,30,80,90'],
    ['predict', '--checkpoint', run, '--image', face, '--box', '0,0,100,100', '--out', custom],
    ['predict', '--checkpoint', run, '--image', face, '--out', path.join(tmp, 'no-face', 'pred')],
  ], { STAR_BACKEND: 'cpu' });
  assert.equal(noImage.status, 1, noImage.stderr);
  assert.match(noImage.stderr, /image not found: .*\(pass --image-root <folder the image names are relative to>\)/);
  assert.doesNotMatch(noImage.stderr, /imageRoot|checkImages/);
  assert.equal(withRoot.status, 0, withRoot.stderr);
  const evalFile = path.join(run, 'eval', 'list.json');
  assert.match(withRoot.stdout, new RegExp(`written ${evalFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const faces = fs.readFileSync(path.join(moved, 'list.txt'), 'utf8').trim().split('\n').length;
  assert.equal(JSON.parse(fs.readFileSync(evalFile, 'utf8')).labels.n, faces);
  assert.equal(predicted.status, 0, predicted.stderr);
  for (const ext of ['json', 'png']) {
    assert.ok(fs.existsSync(path.join(run, 'predict', `face.${ext}`)), `predict/face.${ext}`);
    assert.ok(predicted.stdout.includes(path.join(run, 'predict', `face.${ext}`)));
    assert.ok(fs.existsSync(`${custom}.${ext}`), `--out ${custom}.${ext}`);
  }
  assert.equal(predictedOut.status, 0, predictedOut.stderr);
  // The fixture is a grey square: the detector finds no face, says so, writes nothing and exits non-zero.
  assert.equal(noFace.status, 1, noFace.stderr);
  assert.match(noFace.stderr, /no face found in .*face\.png \(100x100; BlazeFace, score >= 0\.5, \d+ ms\): give the face with --box/);
  assert.ok(!fs.existsSync(path.join(tmp, 'no-face')), 'nothing written without a face');
});

test('experiment --executor slurm --dry-run prints the array and tables batch scripts (sbatch options passed through) and submits nothing', async () => {
  const results = path.join(tmp, 'dry-run');
  const [r] = await starAll([['experiment', 'main', '--executor', 'slurm', '--dry-run', '--partition', 'gpu', '--gres', 'gpu:1', '--time', '02:30', '--cpus', '4', '--mem', '8G', '--results', results]]);
  assert.equal(r.status, 0, r.stderr);
  const [arrayPart, tablesPart] = r.stdout.split('# tables job');
  for (const line of ['#SBATCH --array=0-2', '#SBATCH --partition=gpu', '#SBATCH --gres=gpu:1', '#SBATCH --time=02:30:00', '#SBATCH --cpus-per-task=4', '#SBATCH --mem=8G', `#SBATCH --chdir=${root}`]) {
    assert.ok(arrayPart.includes(line), `${line} missing from the array script:\n${arrayPart}`);
  }
  assert.match(arrayPart, /RUNS=\('coord-smoothl1 1' 'star-smoothl1 1' 'heatmap-mse 1'\)/);
  assert.match(arrayPart, /src\/cli\/main\.ts experiment 'main' --profile smoke --results '[^']+dry-run' --only "\$ARM" --seeds "\$SEED" --train-only &/);
  assert.match(tablesPart, /#SBATCH --dependency=afterany:<array job id>/);
  assert.match(tablesPart, /src\/cli\/main\.ts tables 'main' --profile smoke --results '[^']+dry-run'/);
  assert.ok(!tablesPart.includes('--gres'), 'the tables job asks for the GPU');
  assert.ok(!fs.existsSync(results), 'a dry run wrote files');
});

test('model --preset paper reports both parameter counts', async () => {
  const [r] = await starAll([['model', '--preset', 'paper']]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /13\.47\d M used/);
  assert.match(r.stdout, /17\.1[78]\d M/);
  assert.match(r.stdout, /the paper's table says 13\.370 M .*0\.8% below the 13\.476 M the official code uses, and above the 13\.283 M it has without the AAM heads/);
  assert.match(r.stdout, /without the point- and edge-map output convs \(13\.366 M\)/);
});

test('your own experiment as a JSON spec: --print round-trips; bad files name the line or the field; its own seeds, preset, steps, batch and counts run', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-spec-'));
  const bad = path.join(dir, 'bad.json');
  fs.writeFileSync(bad, '{\n  "name": "x",\n  "arms": [\n    {"id": "a" "label": "b"}\n  ]\n}\n');
  const wrong = path.join(dir, 'wrong.json');
  fs.writeFileSync(wrong, JSON.stringify({ name: 'my-omega', arms: [{ id: 'a', label: 'A', loss: { kind: 'star', options: { omega: -1 } } }] }));
  const builtIn = path.join(dir, 'built-in.json');
  fs.writeFileSync(builtIn, JSON.stringify({ name: 'main', arms: [{ id: 'a', label: 'A', loss: { kind: 'star' } }] }));
  const [printed, r1, r2, r4] = await starAll([['experiment', 'ablation-omega', '--print'], ['experiment', bad], ['experiment', wrong], ['experiment', builtIn]]);
  assert.equal(printed.status, 0, printed.stderr);
  const omega = JSON.parse(printed.stdout);
  assert.equal(omega.name, 'ablation-omega');
  assert.equal(omega.arms.length, 6);
  assert.notEqual(r1.status, 0);
  assert.match(r1.stderr, /bad\.json: not valid JSON at line 4, column 16: expected ',' or '}' after a property value/);
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /wrong\.json: field "arms\[0\]\.loss\.options": omega must be a finite number >= 0/);
  assert.equal(r4.status, 2);
  assert.match(r4.stderr, /built-in\.json: name "main" is a built-in experiment; choose another name/);
  const mine = path.join(dir, 'mine.json');
  const name = `test-json-spec-${process.pid}`;
  // Its own seeds, preset, steps, batch and face counts, none of them the smoke profile's: they run as declared.
  fs.writeFileSync(mine, JSON.stringify({
    name, seeds: [1, 2], model: { preset: 'cpu-small' }, train: { steps: 3, batchSize: 2 }, data: { counts: { train: 8, val: 4, test: 4 } },
    arms: [{ id: 'w0', label: 'ω = 0', loss: { kind: 'star', options: { omega: 0 } } }, { id: 'w3', label: 'ω = 3', loss: { kind: 'star', options: { omega: 3 } } }],
    comparisons: [['w0', 'w3']],
  }));
  const [minePrinted, r3] = await starAll([['experiment', mine, '--print', '--profile', 'smoke'], ['experiment', mine, '--profile', 'smoke']]);
  try {
    assert.equal(minePrinted.status, 0, minePrinted.stderr);
    const p = JSON.parse(minePrinted.stdout);
    assert.deepEqual([p.seeds, p.model.preset, p.train.steps, p.train.batchSize, p.data.counts], [[1, 2], 'cpu-small', 3, 2, { train: 8, val: 4, test: 4 }]);
    assert.equal(r3.status, 0, r3.stderr);
    assert.doesNotMatch(r3.stderr, /identical run found/);
    assert.match(r3.stdout, /\| w3 \| ω = 3 \| STAR\(smoothl1, ω=3, detach=none\)/);
    for (const seed of [1, 2]) {
      const run = path.join(root, 'results', 'local', 'smoke', 'runs', name, `w3-s${seed}`);
      assert.ok(fs.existsSync(path.join(run, 'summary.json')), `w3-s${seed} ran`);
      const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
      assert.deepEqual([cfg.train.steps, cfg.train.batchSize, cfg.model.channels, cfg.model.inputSize, cfg.data.counts], [3, 2, 64, 128, { train: 8, val: 4, test: 4 }], 'what ran is what the spec (and --print) says');
      assert.equal(JSON.parse(fs.readFileSync(path.join(run, 'summary.json'), 'utf8')).steps, 3);
    }
  } finally {
    fs.rmSync(path.join(root, 'results', 'local', 'smoke', 'runs', name), { recursive: true, force: true });
    for (const sub of ['tables', 'figures']) {
      const d = path.join(root, 'results', 'local', 'smoke', sub);
      if (fs.existsSync(d)) for (const f of fs.readdirSync(d)) if (f.startsWith(name)) fs.rmSync(path.join(d, f));
    }
  }
});
