/**
 * Which runs a notebook shows, training the missing ones where that is cheap. Policy (one place, so every notebook
 * says the same thing):
 * 1. committed `full` results (results/runs/<experiment>/) when any run of the experiment is there;
 * 2. otherwise the current profile's results, training the missing runs first in smoke/quick (seconds in smoke);
 * 3. in `full` (or with STAR_NOTEBOOK_TRAIN=never) nothing is trained: a notebook renders what exists and lists
 *    the missing runs, because a full grid takes hours and belongs to `npm run star -- experiment ...`.
 * The notebook then reads the runs it was pointed to (src/report/experiment-data.ts).
 */
import * as path from 'path';
import { currentProfile, resultsDir, type Profile } from '../config/profile';
import { hasFinishedRun } from '../runs/folder';
import { runExperiment } from './runner';
import { restrictSpec, scaleSpec, type ExperimentSpec, type ScaledSpec } from './spec';

/** Where an experiment's runs are, and how they got there. */
export interface LocatedExperiment {
  /** The spec scaled to the profile that produced the runs. */
  spec: ScaledSpec;
  /** Profile whose runs are shown (may differ from the current one: committed full results win). */
  profile: Profile;
  resultsRoot: string;
  /** How the data got here, for the notebook's provenance line. */
  source: string;
  /** Only these arms were asked for (undefined: all). */
  only?: string[];
  /**
   * The committed full results: read only. A notebook shows them without rewriting their tables (a notebook's tables
   * list only the arms with runs and allow mixed provenance; the committed ones are `star tables`').
   */
  committed?: boolean;
}

export interface EnsureOptions {
  /** Profile of this notebook session. Default currentProfile(). */
  profile?: Profile;
  /** Only these arms (others are neither trained nor reported missing). */
  only?: string[];
  /** 'missing' trains absent runs (default in smoke/quick); 'never' only reads (default in full). Env STAR_NOTEBOOK_TRAIN. */
  train?: 'missing' | 'never';
  /** Committed full results folder. Default resultsDir('full'). */
  fullRoot?: string;
  /** This profile's results folder. Default resultsDir(profile). */
  resultsRoot?: string;
}

export async function ensureExperiment(spec: ExperimentSpec, options: EnsureOptions = {}): Promise<LocatedExperiment> {
  const profile = options.profile ?? currentProfile();
  const fullRoot = options.fullRoot ?? resultsDir('full');
  const envTrain = process.env.STAR_NOTEBOOK_TRAIN;
  if (envTrain !== undefined && envTrain !== 'missing' && envTrain !== 'never') throw new Error(`STAR_NOTEBOOK_TRAIN="${envTrain}": expected "missing" or "never"`);
  const train = options.train ?? (envTrain as 'missing' | 'never' | undefined) ?? (profile === 'full' ? 'never' : 'missing');
  const only = options.only;
  if (only) for (const a of only) if (!spec.arms.some((x) => x.id === a)) throw new Error(`ensureExperiment(${spec.name}): no arm "${a}" (arms: ${spec.arms.map((x) => x.id).join(', ')})`);
  const runsOf = (root: string) => path.relative(process.cwd(), path.join(root, 'runs', spec.name));
  if (hasFinishedRun(fullRoot, spec.name)) {
    return { spec: scaleSpec(spec, 'full'), profile: 'full', resultsRoot: fullRoot, source: `committed full results (${runsOf(fullRoot) || '.'})`, only, committed: true };
  }
  const root = options.resultsRoot ?? resultsDir(profile);
  let source: string;
  if (train === 'missing') {
    await runExperiment(only ? restrictSpec(spec, only) : spec, profile, { resultsRoot: root });
    source = `${profile} runs in ${runsOf(root)} (missing runs trained now)`;
  } else {
    source = `${profile} runs in ${runsOf(root)} (read only, nothing trained)`;
  }
  return { spec: scaleSpec(spec, profile), profile, resultsRoot: root, source, only };
}
