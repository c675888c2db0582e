/**
 * One command-line entry: `npm run star -- <command> [options]` (or `node --import tsx src/cli.ts ...`).
 * Every command prints its own --help; bad arguments get a message naming the option.
 */
import * as path from 'path';
import { parseArgs } from 'util';
import { currentProfile, resultsDir, profileLabel, PROJECT_ROOT, type Profile, PROFILES } from './config/profile';

type Handler = (argv: string[]) => Promise<void>;

interface Command {
  summary: string;
  usage: string;
  run: Handler;
}

class UsageError extends Error {}

function parse<T extends Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>>(argv: string[], options: T, usage: string) {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\n\n${usage}`);
  }
}

function num(v: string | undefined, name: string, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw new UsageError(`--${name} is required`);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name}: expected a number, got "${v}"`);
  return n;
}

function profileOf(v: string | undefined): Profile {
  if (v === undefined) return currentProfile();
  if (!(PROFILES as readonly string[]).includes(v)) throw new UsageError(`--profile: expected one of ${PROFILES.join(', ')}, got "${v}"`);
  return v as Profile;
}

const commands: Record<string, Command> = {
  experiment: {
    summary: 'run an experiment grid (missing runs only; resumable) and write its tables and figures',
    usage: `usage: star experiment <name|all|name1,name2|my-spec.json> [--profile smoke|quick|full] [--only arm1,arm2] [--seeds 1,2] [--workers N]
       star experiment <name> --print        (the built-in spec as JSON: a starting point for your own)
  names: main (the quick main job), ablation-distance, ablation-omega, ablation-restriction, ablation-losses, ambiguity-sweep,
  ablation-aam, all
  profile: default $STAR_PROFILE or quick. smoke/quick write to results/local/<profile>/, full to results/.`,
    run: async (argv) => {
      const a = parse(argv, { profile: { type: 'string' }, only: { type: 'string' }, seeds: { type: 'string' }, workers: { type: 'string' }, print: { type: 'boolean' } }, commands.experiment.usage);
      const name = a.positionals[0];
      if (!name) throw new UsageError(`experiment name missing\n\n${commands.experiment.usage}`);
      const { EXPERIMENTS: BUILT_IN } = await import('./experiments/ablations');
      const EXPERIMENTS = { ...BUILT_IN };
      let names = name === 'all' ? Object.keys(EXPERIMENTS).filter((n) => n !== 'main') : name.split(',');
      if (a.values.print) {
        for (const n of names) if (!EXPERIMENTS[n]) throw new UsageError(`unknown experiment "${n}" (known: ${Object.keys(EXPERIMENTS).join(', ')})`);
        console.log(JSON.stringify(names.length === 1 ? EXPERIMENTS[names[0]] : names.map((n) => EXPERIMENTS[n]), null, 2));
        return;
      }
      // Your own experiment: a JSON spec file (see readSpecFile in src/experiments/spec.ts).
      const { readSpecFile } = await import('./experiments/spec');
      names = names.map((n) => {
        if (!n.endsWith('.json')) return n;
        const spec = readSpecFile(n);
        if (BUILT_IN[spec.name]) throw new UsageError(`${n}: name "${spec.name}" is a built-in experiment; choose another name`);
        EXPERIMENTS[spec.name] = spec;
        return spec.name;
      });
      const seeds = a.values.seeds?.split(',').map((s) => {
        const v = Number(s);
        if (!Number.isInteger(v)) throw new UsageError(`--seeds: expected integers like 1,2,3, got "${a.values.seeds}"`);
        return v;
      });
      for (const n of names) if (!EXPERIMENTS[n]) throw new UsageError(`unknown experiment "${n}" (known: ${Object.keys(EXPERIMENTS).join(', ')}, all)`);
      const profile = profileOf(a.values.profile);
      const root = resultsDir(profile);
      const { runExperiment } = await import('./experiments/runner');
      const { experimentFigures } = await import('./experiments/figures');
      const { toMarkdown } = await import('./report/table');
      const t0 = Date.now();
      console.error(`profile: ${profileLabel(profile)}; results under ${path.relative(PROJECT_ROOT, root) || '.'}`);
      for (const n of names) {
        const tables = await runExperiment(EXPERIMENTS[n], profile, {
          resultsRoot: root, only: a.values.only?.split(','), seeds, workers: a.values.workers === undefined ? undefined : num(a.values.workers, 'workers'),
        });
        const figs = await experimentFigures(tables, root);
        console.log(`\n## ${tables.title} — ${tables.label}\n`);
        console.log(toMarkdown(tables.arms.map(({ nmeMean, nmeCleanMean, ...r }) => ({ ...r, msPerStep: Number.isFinite(r.msPerStep) ? Math.round(r.msPerStep) : null }))));
        if (tables.comparisons.length) console.log('\n' + toMarkdown(tables.comparisons as unknown as Record<string, unknown>[]));
        if (tables.missing.length) console.log(`\nmissing runs: ${tables.missing.join(', ')}`);
        console.log(`\ntables: ${path.relative(PROJECT_ROOT, path.join(root, 'tables', n))}.{json,csv,md}; figures: ${figs.map((f) => path.relative(PROJECT_ROOT, f)).join(', ') || 'none'}`);
        if (tables.interrupted) {
          // A stop request ends the whole command, not just the experiment it arrived in.
          const rest = names.slice(names.indexOf(n) + 1);
          console.error(`stopped${rest.length ? ` before ${rest.join(', ')}` : ''}; run the same command again to resume`);
          process.exitCode = 130;
          break;
        }
      }
      console.error(`wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    },
  },
  generate: {
    summary: 'generate (or load from cache) the synthetic benchmark',
    usage: `usage: star generate [--profile P] [--train N] [--val N] [--test N] [--size PX] [--seed S] [--tangent SIGMA]
  Writes data/cache/synthetic-<hash>/. Sizes default to the profile's.`,
    run: async (argv) => {
      const a = parse(argv, { profile: { type: 'string' }, train: { type: 'string' }, val: { type: 'string' }, test: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, tangent: { type: 'string' } }, commands.generate.usage);
      const { PROFILE_SCALE } = await import('./experiments/spec');
      const { resolveSyntheticConfig, describeConfig } = await import('./data/synthetic/config');
      const { syntheticDataset } = await import('./data/synthetic/dataset');
      const s = PROFILE_SCALE[profileOf(a.values.profile)].counts;
      const cfg = resolveSyntheticConfig({
        seed: num(a.values.seed, 'seed', 1), imageSize: num(a.values.size, 'size', 128),
        counts: { train: num(a.values.train, 'train', s.train), val: num(a.values.val, 'val', s.val), test: num(a.values.test, 'test', s.test) },
        ambiguity: a.values.tangent === undefined ? {} : { sigmaTangent: num(a.values.tangent, 'tangent') },
      });
      const t0 = Date.now();
      for (const split of ['train', 'val', 'test'] as const) {
        const d = await syntheticDataset(cfg, split);
        console.log(`${split}: ${d.length} faces (${d.name})`);
      }
      console.log(`${describeConfig(cfg)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    },
  },
  train: {
    summary: 'train on your own data (any supported format) or the synthetic benchmark; resumable, validation-selected',
    usage: `usage: star train --data <path|synthetic> --out <dir> [--loss star|heatmap-mse|awing|coord-smoothl1|coord-l1|coord-l2]
       [--omega W] [--distance smoothl1|l1|l2] [--format wflw|tsv|coco|pts|cofw] [--scheme wflw98|300w68|cofw29]
       [--val <path> | --val-fraction 0.05] [--test <path>] [--preset cpu-tiny|cpu-small|paper] [--steps 2000] [--batch 8]
       [--seed 1] [--lr 3e-3] [--augment official|cpu|none] [--ema-horizon F] [--workers 1]
  Writes <out>/ (config, metrics, checkpoint/, best/); run the same command again to resume. Then:
  star evaluate --checkpoint <out> --data <path>   |   star predict --checkpoint <out> --image <file>`,
    run: async (argv) => {
      const a = parse(argv, {
        data: { type: 'string' }, out: { type: 'string' }, loss: { type: 'string' }, omega: { type: 'string' }, distance: { type: 'string' },
        format: { type: 'string' }, scheme: { type: 'string' }, val: { type: 'string' }, 'val-fraction': { type: 'string' }, test: { type: 'string' },
        preset: { type: 'string' }, steps: { type: 'string' }, batch: { type: 'string' }, seed: { type: 'string' }, lr: { type: 'string' },
        augment: { type: 'string' }, 'ema-horizon': { type: 'string' }, workers: { type: 'string' },
      }, commands.train.usage);
      if (!a.values.data || !a.values.out) throw new UsageError(`--data and --out are required\n\n${commands.train.usage}`);
      const { trainOnOwnData, lossFromName, OWN_DATA_DEFAULTS: D } = await import('./train/own-data');
      const { PRESETS } = await import('./model/config');
      const preset = a.values.preset ?? D.preset;
      if (!(preset in PRESETS)) throw new UsageError(`--preset: expected one of ${Object.keys(PRESETS).join(', ')}, got "${preset}"`);
      const augment = a.values.augment ?? D.augment;
      if (!['official', 'cpu', 'none'].includes(augment)) throw new UsageError(`--augment: expected official, cpu or none, got "${augment}"`);
      let loss;
      try {
        loss = lossFromName(a.values.loss ?? 'star', { omega: a.values.omega === undefined ? undefined : num(a.values.omega, 'omega'), distance: a.values.distance });
      } catch (e) {
        throw new UsageError((e as Error).message.replace(/^starLoss: options\./, '--'));
      }
      const int = (k: string, v: string | undefined, d: number) => {
        const n = num(v, k, d);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${k}: expected a non-negative integer, got "${v}"`);
        return n;
      };
      const r = await trainOnOwnData({
        data: a.values.data, out: a.values.out, loss, format: a.values.format as never, scheme: a.values.scheme, val: a.values.val,
        valFraction: num(a.values['val-fraction'], 'val-fraction', D.valFraction), test: a.values.test, preset: preset as never,
        steps: int('steps', a.values.steps, D.steps), batchSize: int('batch', a.values.batch, D.batchSize), seed: int('seed', a.values.seed, D.seed),
        lr: num(a.values.lr, 'lr', D.lr), augment: augment as never, workers: int('workers', a.values.workers, D.workers),
        ema: a.values['ema-horizon'] === undefined ? null : { horizon: num(a.values['ema-horizon'], 'ema-horizon') },
      });
      if (r.interrupted) {
        console.error(`stopped; run the same command again to resume (${r.dir})`);
        process.exitCode = 130;
        return;
      }
      const p = (v: number) => (100 * v).toFixed(2);
      console.log(`trained on ${r.trainFaces} faces, selected on ${r.valFaces} (best validation NME ${r.bestValNme === null ? 'n/a' : p(r.bestValNme) + '%'}); weights: ${path.join(r.dir, 'best')}`);
      if (r.test) {
        console.log(`${r.test.dataset}: n=${r.test.labels.n} NME ${p(r.test.labels.nme)}% FR@${r.test.threshold} ${p(r.test.labels.fr)}% AUC ${r.test.labels.auc.toFixed(4)} (${r.test.normalisation})`);
        for (const [k, m] of Object.entries(r.test.perSubset)) console.log(`  ${k}: n=${m!.n} NME ${p(m!.nme)}%`);
      }
    },
  },
  evaluate: {
    summary: 'evaluate a trained model on a dataset (synthetic test split or a real dataset folder/file)',
    usage: `usage: star evaluate --checkpoint <run dir|checkpoint dir> --data <path|synthetic> [--format wflw|tsv|coco|pts|cofw] [--scheme wflw98|300w68|cofw29] [--split test] [--limit N] [--out file.json]
  Real data must use the model's landmark scheme (the released presets are WFLW-98).`,
    run: async (argv) => {
      const a = parse(argv, { checkpoint: { type: 'string' }, data: { type: 'string' }, format: { type: 'string' }, scheme: { type: 'string' }, split: { type: 'string' }, limit: { type: 'string' }, out: { type: 'string' } }, commands.evaluate.usage);
      if (!a.values.checkpoint || !a.values.data) throw new UsageError(`--checkpoint and --data are required\n\n${commands.evaluate.usage}`);
      const { initBackend } = await import('tfjs-wasm-train');
      await initBackend();
      const { loadTrainedModel } = await import('./model/load');
      const { evaluate } = await import('./eval/evaluate');
      const { createCodec } = await import('./data/codec');
      const model = loadTrainedModel(a.values.checkpoint);
      let data;
      if (a.values.data === 'synthetic') {
        const fs = await import('fs');
        const cfgFile = path.join(a.values.checkpoint, 'config.json');
        if (!fs.existsSync(cfgFile)) throw new UsageError(`--data synthetic needs a run folder with config.json (got ${a.values.checkpoint})`);
        const { syntheticDataset } = await import('./data/synthetic/dataset');
        const cfg = JSON.parse(fs.readFileSync(cfgFile, 'utf8'));
        data = await syntheticDataset(cfg.data, (a.values.split ?? 'test') as 'test');
      } else {
        const { openDataset } = await import('./data/real');
        const { getScheme } = await import('./data/schemes');
        data = await openDataset(a.values.data, { format: a.values.format as never, scheme: a.values.scheme ? getScheme(a.values.scheme) : undefined, split: a.values.split as never });
      }
      const codec = createCodec(data.scheme, { inputSize: model.config.inputSize, heatmapSize: model.config.heatmapSize });
      const r = await evaluate(model, data, { codec, limit: a.values.limit ? num(a.values.limit, 'limit') : undefined, distributions: true });
      const { writeJsonAtomic } = await import('./util/files');
      const out = a.values.out ?? path.join(resultsDir('quick'), 'eval', `${path.basename(a.values.checkpoint)}-${path.basename(a.values.data)}.json`);
      writeJsonAtomic(out, r);
      const p = (v: number) => (100 * v).toFixed(2);
      console.log(`${r.dataset}: n=${r.labels.n} NME ${p(r.labels.nme)}% FR@${r.threshold} ${p(r.labels.fr)}% AUC@${r.threshold} ${r.labels.auc.toFixed(4)} (${r.normalisation})`);
      if (r.clean) console.log(`  vs clean truth: NME ${p(r.clean.nme)}% FR ${p(r.clean.fr)}% AUC ${r.clean.auc.toFixed(4)}`);
      for (const [k, m] of Object.entries(r.perSubset)) console.log(`  ${k}: n=${m!.n} NME ${p(m!.nme)}%`);
      console.log(`written ${out}`);
    },
  },
  predict: {
    summary: "run a trained model on an image and write landmarks (JSON) and an overlay PNG",
    usage: `usage: star predict --checkpoint <run dir|checkpoint dir> --image <file> [--box x1,y1,x2,y2] [--out <path without extension>]
  Without --box the whole image is the face box (pre-cropped faces).`,
    run: async (argv) => {
      const a = parse(argv, { checkpoint: { type: 'string' }, image: { type: 'string' }, box: { type: 'string' }, out: { type: 'string' } }, commands.predict.usage);
      if (!a.values.checkpoint || !a.values.image) throw new UsageError(`--checkpoint and --image are required\n\n${commands.predict.usage}`);
      let rect: [number, number, number, number] | undefined;
      if (a.values.box) {
        const parts = a.values.box.split(',').map(Number);
        if (parts.length !== 4 || parts.some((v) => !Number.isFinite(v))) throw new UsageError(`--box: expected x1,y1,x2,y2 (four numbers), got "${a.values.box}"`);
        rect = parts as [number, number, number, number];
      }
      const { initBackend } = await import('tfjs-wasm-train');
      await initBackend();
      const { loadTrainedModel } = await import('./model/load');
      const { predictImage, writePrediction } = await import('./predict');
      const model = loadTrainedModel(a.values.checkpoint);
      const r = await predictImage(model, a.values.image, rect);
      const out = a.values.out ?? path.join(resultsDir('quick'), 'predict', path.basename(a.values.image).replace(/\.[^.]+$/, ''));
      const files = await writePrediction(r, out);
      console.log(`landmarks: ${files.json}\noverlay: ${files.png}`);
    },
  },
  tables: {
    summary: 'rebuild the tables and figures of an experiment from its run folders (no training)',
    usage: 'usage: star tables <name|my-spec.json> [--profile P]',
    run: async (argv) => {
      const a = parse(argv, { profile: { type: 'string' } }, commands.tables.usage);
      const { EXPERIMENTS } = await import('./experiments/ablations');
      const arg = a.positionals[0] ?? '';
      const spec = arg.endsWith('.json') ? (await import('./experiments/spec')).readSpecFile(arg) : EXPERIMENTS[arg];
      if (!spec) throw new UsageError(`unknown experiment "${a.positionals[0] ?? ''}" (known: ${Object.keys(EXPERIMENTS).join(', ')})`);
      const profile = profileOf(a.values.profile);
      const { summarise } = await import('./experiments/runner');
      const { scaleSpec } = await import('./experiments/spec');
      const { experimentFigures } = await import('./experiments/figures');
      const t = summarise(scaleSpec(spec, profile), profile, resultsDir(profile));
      const figs = await experimentFigures(t, resultsDir(profile));
      console.log(JSON.stringify({ arms: t.arms.length, comparisons: t.comparisons.length, missing: t.missing, figures: figs }, null, 1));
    },
  },
  model: {
    summary: 'print a model preset and its parameter count (with the official-code comparison)',
    usage: 'usage: star model [--preset paper|cpu-small|cpu-tiny]',
    run: async (argv) => {
      const a = parse(argv, { preset: { type: 'string', default: 'paper' } }, commands.model.usage);
      const { initBackend } = await import('tfjs-wasm-train');
      await initBackend({ quiet: true });
      const { modelConfig } = await import('./model/config');
      const { buildHourglass, officialReportedParamCount } = await import('./model/hourglass');
      const { WFLW98 } = await import('./data/schemes');
      const cfg = modelConfig(a.values.preset as never);
      const m = buildHourglass(cfg, { seed: 0, scheme: WFLW98 });
      const c = officialReportedParamCount(m);
      console.log(JSON.stringify(cfg));
      console.log(`parameters: ${(c.ours / 1e6).toFixed(3)} M used`);
      console.log(`the official code would report ${(c.officialTotal / 1e6).toFixed(3)} M: its ResBlock always builds a 1x1 skip conv, also when in == out channels where forward() never uses it (${(c.deadSkipParams / 1e6).toFixed(3)} M dead weights). The paper's table (13.37 M) counts used weights.`);
    },
  },
  bench: {
    summary: 'training-step benchmark (tfjs vs PyTorch on the same machine): see bench/README.md',
    usage: 'usage: star bench [bench args...]  (same as npm run bench -- ...)',
    run: async (argv) => {
      const { spawnSync } = await import('child_process');
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'train-step.ts'), ...argv], { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    },
  },
};

function help(): string {
  const w = Math.max(...Object.keys(commands).map((k) => k.length));
  return `star — STAR loss research CLI\n\nusage: npm run star -- <command> [options]   (each command has --help)\n\n${Object.entries(commands)
    .map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`).join('\n')}\n\nenv: STAR_PROFILE=smoke|quick|full, STAR_BACKEND=auto|wasm|wasm-threaded|wasm-single|cpu|tensorflow|tensorflow-gpu, STAR_THREADS=n, STAR_DEBUG=1 (stack traces)`;
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(help());
    return;
  }
  const c = commands[cmd];
  if (!c) throw new UsageError(`unknown command "${cmd}"\n\n${help()}`);
  await c.run(rest);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    if (e instanceof UsageError) {
      console.error(`star: ${e.message}`);
      process.exit(2);
    }
    // Errors from our own checks carry file/line/field in the message; the stack is for debugging (STAR_DEBUG=1).
    console.error(`star: ${process.env.STAR_DEBUG ? ((e as Error).stack ?? e) : ((e as Error).message ?? e)}`);
    process.exit(1);
  },
);
