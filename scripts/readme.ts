/**
 * Regenerates the README's numbers from results/ (src/report/readme.ts):
 *
 *   npm run readme                  rewrite the generated blocks of README.md
 *   npm run readme -- --check       exit 1 when README.md differs from what the files say (the test runs this)
 *   npm run readme -- --record-quick  first record the last quick main job (results/local/quick) as results/quick/main.json
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PROJECT_ROOT, resultsDir } from '../src/config/profile';
import { EXPERIMENTS } from '../src/experiments/ablations';
import { GRID_FLATNESS, GRID_STEPS, REGIME } from '../src/experiments/regime';
import { primaryArms } from '../src/report/regime';
import { readSpecFile, scaleSpec, type ExperimentSpec } from '../src/experiments/spec';
import { readProvenance, readSummary, runDirFor } from '../src/runs/folder';
import { experimentTables, type ExperimentTables } from '../src/report/experiment-tables';
import { aggregateExperiment } from '../src/runs/aggregate';
import { fillReadme, originalGridBlock, quickBlock, regimeBlock, speedBlock, type QuickRecord } from '../src/report/readme';
import { writeJsonAtomic } from '../src/util/files';

/** The first grid (cpu-tiny, 64 px, symmetric noise), kept for the record. */
export const ORIGINAL_GRID = ['main', 'ablation-distance', 'ablation-omega', 'ablation-restriction', 'ablation-losses', 'ambiguity-sweep', 'ablation-aam'];

const declaredRuns = (spec: ExperimentSpec): number => {
  const s = scaleSpec(spec, 'full');
  return s.arms.length * s.seeds.length;
};
const declared = (name: string): number => declaredRuns(EXPERIMENTS[name]);
/** The pilot's second run-length check: a spec file, so that the pilot's pinned commit could train it. */
const LENGTH_CHECK = readSpecFile(path.join(PROJECT_ROOT, 'src', 'experiments', 'specs', 'regime-length.json'));
/** Seeds of a staged grid's first stage (all of them when it declares no stages). */
const firstStageSeeds = (spec: ExperimentSpec): number => {
  const s = scaleSpec(spec, 'full');
  return Math.min(s.seeds.length, s.analysis?.stages?.[0] ?? s.seeds.length);
};
/** Runs of a staged grid's first stage. */
const firstStage = (name: string): number => scaleSpec(EXPERIMENTS[name], 'full').arms.length * firstStageSeeds(EXPERIMENTS[name]);

/**
 * The regime grid's tables straight from its committed runs (nothing written): the README then depends on the runs
 * alone, not on whichever process last wrote results/tables/regime.json. Null while no run of it has finished.
 * Runs of mixed code or kernels throw (aggregateExperiment), as `star tables` refuses them.
 */
function regimeTables(resultsRoot: string, firstSeeds?: number): ExperimentTables | null {
  const full = scaleSpec(EXPERIMENTS.regime, 'full');
  const spec = firstSeeds === undefined ? full : { ...full, seeds: full.seeds.slice(0, firstSeeds) };
  const results = aggregateExperiment(resultsRoot, spec);
  return results.arms.some((a) => a.seeds.length > 0) ? experimentTables(spec, 'full', results) : null;
}

export function readmeBlocks(resultsRoot = resultsDir('full')): Record<string, string> {
  const src = { resultsRoot };
  return {
    regime: regimeBlock(src, { pilot: declared('regime-pilot'), lengthCheck: declaredRuns(LENGTH_CHECK), grid: firstStage('regime'), gridAll: declared('regime') }, {
      budget: { steps: GRID_STEPS, primaryRuns: primaryArms(REGIME.analysis).length * firstStageSeeds(REGIME) },
      // A 40,000-step grid (the length rule's fallback) is judged by its own curves' flatness.
      flatness: GRID_STEPS > 20000 ? { arms: primaryArms(REGIME.analysis), rule: GRID_FLATNESS } : undefined,
      grid: { tables: regimeTables(resultsRoot), firstLook: regimeTables(resultsRoot, firstStageSeeds(REGIME)), analysis: REGIME.analysis! },
      pace: {
        experiment: 'regime', primaryArms: primaryArms(REGIME.analysis), seeds: firstStageSeeds(REGIME), workers: 2,
        status: `npm run star -- experiment regime --profile full --status --seeds ${scaleSpec(REGIME, 'full').seeds.slice(0, firstStageSeeds(REGIME)).join(',')}`,
      },
    }),
    'original-grid': originalGridBlock(src, ORIGINAL_GRID),
    quick: quickBlock(src),
    speed: speedBlock(src),
  };
}

function recordQuick(): void {
  const root = resultsDir('quick');
  const file = path.join(root, 'tables', 'main.json');
  if (!fs.existsSync(file)) throw new Error(`${file}: no quick main job to record (run npm run main first)`);
  const tables = JSON.parse(fs.readFileSync(file, 'utf8')) as ExperimentTables;
  const spec = scaleSpec(EXPERIMENTS.main, 'quick');
  const walls = spec.arms.map((a) => readSummary(runDirFor(root, spec, a, spec.seeds[0]))?.wallSeconds ?? NaN);
  // The code that ran the job, as its runs recorded it (not the checkout's HEAD at recording time).
  const commits = [...new Set(spec.arms.map((a) => readProvenance(runDirFor(root, spec, a, spec.seeds[0]))?.code.commit ?? 'unknown'))];
  const commit = commits.join('+');
  const record: QuickRecord = {
    commit, recordedAt: new Date().toISOString(), wallSeconds: walls.every(Number.isFinite) ? walls.reduce((s, v) => s + v, 0) : null,
    loadAverage: os.loadavg()[0], tables,
  };
  writeJsonAtomic(path.join(resultsDir('full'), 'quick', 'main.json'), record);
  console.error(`readme: recorded the quick main job (${file}) at ${commit}`);
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const unknown = args.filter((a) => !['--check', '--record-quick'].includes(a));
  if (unknown.length || args.includes('--help')) {
    console.error('usage: npm run readme [-- --check | --record-quick]');
    process.exit(args.includes('--help') ? 0 : 2);
  }
  if (args.includes('--record-quick')) recordQuick();
  const file = path.join(PROJECT_ROOT, 'README.md');
  const before = fs.readFileSync(file, 'utf8');
  const after = fillReadme(before, readmeBlocks());
  if (args.includes('--check')) {
    if (before !== after) {
      console.error('README.md differs from what results/ says: run `npm run readme` and commit the result');
      process.exit(1);
    }
    console.error('README.md: every generated block matches results/');
  } else {
    fs.writeFileSync(file, after);
    console.error(before === after ? 'README.md: already up to date' : 'README.md: generated blocks rewritten');
  }
}
