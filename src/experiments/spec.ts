/**
 * Experiment specs: typed, JSON on disk. A spec names the data, the model preset, the training recipe, the seeds and
 * the arms (loss variants); the runner turns each (arm, seed) into `runs/<experiment>/<arm>-s<seed>/`.
 * Profiles (STAR_PROFILE) scale steps, data and seeds; the arms and comparisons stay the same.
 */
import type { SyntheticConfigInput } from '../data/synthetic/config';
import type { HourglassConfig, PresetName } from '../model/config';
import type { TrainConfig } from '../train/trainer';
import { PROFILES, type Profile } from '../config/profile';
import { PRESETS } from '../model/config';
import type { LossSpec } from '../train/objective';
import { CPU_AUGMENT, type AugmentConfig } from '../data/augment';
import { OFFICIAL_SCHEDULE } from '../train/schedule';
import { resolveOptions } from '../loss/star';
import * as fs from 'fs';

export interface ArmSpec {
  id: string;
  label: string;
  loss: LossSpec;
  /** Per-arm data overrides (e.g. the ambiguity sweep varies the label noise). */
  data?: SyntheticConfigInput;
  /** Per-arm model overrides, applied after the experiment's (e.g. the AAM heads on or off). */
  model?: Partial<HourglassConfig>;
  /** Per-arm training overrides, applied after the experiment's. */
  train?: Partial<TrainConfig>;
  /** Run this arm for `stepsScale` × the experiment's steps (e.g. a pilot's 2.5× longer run), in every profile. */
  stepsScale?: number;
}

export interface ExperimentSpec {
  name: string;
  title: string;
  /** The question the experiment answers, shown in tables and notebooks. */
  question: string;
  data: SyntheticConfigInput;
  model: { preset: PresetName; overrides?: Partial<HourglassConfig> };
  train: Partial<TrainConfig>;
  /** Training augmentation; default the profile's (official for `paper`-style runs, CPU_AUGMENT for CPU profiles). */
  augment?: Partial<AugmentConfig>;
  seeds: number[];
  arms: ArmSpec[];
  /** Paired comparisons [baseline arm id, arm id]; the table reports arm − baseline. */
  comparisons: [string, string][];
  /**
   * Sizes this spec declares per profile (steps, seeds, counts, preset, ...): they win over the profile's defaults
   * (PROFILE_SCALE), so a spec runs what it says. Absent: the profile's sizes (the original grid's behaviour).
   */
  profiles?: Partial<Record<Profile, Partial<ProfileScale>>>;
  /** 'run' (the regime's choice): each seed also draws its own synthetic dataset; absent: every seed shares data.seed. */
  dataSeed?: 'run';
  /** Validation faces per evaluation: a number, or 'all' (the whole split). Default 200. */
  valFaces?: number | 'all';
}

export interface ProfileScale {
  steps: number;
  seeds: number[];
  counts: { train: number; val: number; test: number };
  preset: PresetName;
  evalEvery: number;
  batchSize: number;
  augment: Readonly<AugmentConfig>;
  /** Peak learning rate (Adam). CPU profiles use 3e-3: measured on the synthetic benchmark (cpu-tiny, smooth-L1, 400 steps),
   * test NME 20.3% vs 21.2% at the official 1e-3. The official schedule shape (x0.1 at 40/70/90%) is kept. */
  lr: number;
}

/** How big each profile is. `quick` must finish the main job (3 arms) in <= 15 min on 2 cores incl. data generation. */
export const PROFILE_SCALE: Record<Profile, ProfileScale> = {
  smoke: { steps: 6, seeds: [1], counts: { train: 32, val: 16, test: 16 }, preset: 'cpu-tiny', evalEvery: 0, batchSize: 4, augment: CPU_AUGMENT, lr: 3e-3 },
  quick: { steps: 1200, seeds: [1], counts: { train: 2000, val: 200, test: 500 }, preset: 'cpu-tiny', evalEvery: 200, batchSize: 8, augment: CPU_AUGMENT, lr: 3e-3 },
  full: { steps: 2000, seeds: [1, 2, 3], counts: { train: 4000, val: 300, test: 1000 }, preset: 'cpu-tiny', evalEvery: 250, batchSize: 8, augment: CPU_AUGMENT, lr: 3e-3 },
};

/** Apply a profile's scale to a spec (the spec's own arms, comparisons and non-size settings are kept). */
export function scaleSpec(spec: ExperimentSpec, profile: Profile): ExperimentSpec {
  const s: ProfileScale = { ...PROFILE_SCALE[profile], ...spec.profiles?.[profile] };
  return {
    ...spec,
    data: { ...spec.data, counts: s.counts },
    model: { preset: s.preset, overrides: spec.model.overrides },
    train: {
      ...spec.train, steps: s.steps, evalEvery: s.evalEvery, batchSize: s.batchSize, checkpointEvery: Math.max(5, Math.round(s.steps / 10)),
      schedule: { ...OFFICIAL_SCHEDULE, ...spec.train.schedule, lr: s.lr },
    },
    augment: spec.augment ?? s.augment,
    seeds: s.seeds,
  };
}

export function validateSpec(spec: ExperimentSpec, source = '<spec>'): ExperimentSpec {
  const fail = (field: string, why: string): never => {
    throw new Error(`${source}: field "${field}": ${why}`);
  };
  if (!/^[a-z0-9][a-z0-9-]*$/.test(spec.name ?? '')) fail('name', 'expected lower-case letters, digits and dashes');
  if (!Array.isArray(spec.arms) || spec.arms.length === 0) fail('arms', 'expected at least one arm');
  const ids = new Set<string>();
  spec.arms.forEach((a, i) => {
    if (!/^[a-z0-9][a-z0-9.-]*$/.test(a.id ?? '')) fail(`arms[${i}].id`, 'expected lower-case letters, digits, dots and dashes');
    if (ids.has(a.id)) fail(`arms[${i}].id`, `duplicate id "${a.id}"`);
    ids.add(a.id);
  });
  spec.arms.forEach((a, i) => {
    const l = a.loss as LossSpec | undefined;
    if (!l || typeof l !== 'object') fail(`arms[${i}].loss`, 'expected an object like { "kind": "star" }');
    if (!['star', 'heatmap-mse', 'awing', 'coord'].includes(l!.kind)) fail(`arms[${i}].loss.kind`, `expected star | heatmap-mse | awing | coord, got "${l!.kind}"`);
    if (l!.kind === 'coord' && !['smoothl1', 'l1', 'l2'].includes(l!.distance)) fail(`arms[${i}].loss.distance`, `expected smoothl1 | l1 | l2, got "${l!.distance}"`);
    if (l!.kind === 'coord' && l!.omega !== undefined && !(typeof l!.omega === 'number' && Number.isFinite(l!.omega) && l!.omega >= 0)) {
      fail(`arms[${i}].loss.omega`, `expected a finite number >= 0, got ${JSON.stringify(l!.omega)}`);
    }
    if (l!.kind === 'star') {
      try {
        resolveOptions(l!.options ?? {});
      } catch (e) {
        fail(`arms[${i}].loss.options`, (e as Error).message.replace(/^starLoss: options\./, ''));
      }
    }
    if (a.model !== undefined && (typeof a.model !== 'object' || Array.isArray(a.model))) fail(`arms[${i}].model`, 'expected an object of model overrides');
    if (a.data !== undefined && (typeof a.data !== 'object' || Array.isArray(a.data))) fail(`arms[${i}].data`, 'expected an object of data overrides');
  });
  if (spec.dataSeed !== undefined && spec.dataSeed !== 'run') fail('dataSeed', `expected "run" or absent, got ${JSON.stringify(spec.dataSeed)}`);
  if (spec.valFaces !== undefined && spec.valFaces !== 'all' && !(Number.isInteger(spec.valFaces) && spec.valFaces > 0)) {
    fail('valFaces', `expected a positive integer or "all", got ${JSON.stringify(spec.valFaces)}`);
  }
  for (const [p, sizes] of Object.entries(spec.profiles ?? {})) {
    if (!(PROFILES as readonly string[]).includes(p)) fail(`profiles.${p}`, `unknown profile (known: ${PROFILES.join(', ')})`);
    if (sizes?.preset !== undefined && !(sizes.preset in PRESETS)) fail(`profiles.${p}.preset`, `unknown preset "${sizes.preset}" (known: ${Object.keys(PRESETS).join(', ')})`);
    if (sizes?.steps !== undefined && !(Number.isInteger(sizes.steps) && sizes.steps > 0)) fail(`profiles.${p}.steps`, `expected a positive integer, got ${JSON.stringify(sizes.steps)}`);
  }
  spec.arms.forEach((a, i) => {
    if (a.train !== undefined && (typeof a.train !== 'object' || Array.isArray(a.train))) fail(`arms[${i}].train`, 'expected an object of training overrides');
    if (a.stepsScale !== undefined && !(Number.isFinite(a.stepsScale) && a.stepsScale > 0)) fail(`arms[${i}].stepsScale`, `expected a number > 0, got ${JSON.stringify(a.stepsScale)}`);
  });
  if (!Array.isArray(spec.seeds) || spec.seeds.length === 0 || spec.seeds.some((s) => !Number.isInteger(s))) fail('seeds', 'expected a non-empty list of integers');
  (spec.comparisons ?? []).forEach(([a, b], i) => {
    if (!ids.has(a)) fail(`comparisons[${i}][0]`, `unknown arm "${a}"`);
    if (!ids.has(b)) fail(`comparisons[${i}][1]`, `unknown arm "${b}"`);
  });
  return spec;
}

/**
 * Read an experiment spec from a JSON file (your own ablation): the fields of ExperimentSpec, with `title`,
 * `question`, `data`, `model`, `train`, `seeds` ([1, 2, 3]) and `comparisons` optional. Sizes still come from the
 * profile (scaleSpec). Errors name the file and the field, or the line and column of a JSON syntax error.
 * Start from a built-in one: `npm run star -- experiment --print ablation-omega > my-spec.json`.
 */
export function readSpecFile(file: string): ExperimentSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const where = m ? (() => {
      const before = text.slice(0, Number(m[1]));
      const line = before.split('\n').length;
      return ` at line ${line}, column ${Number(m[1]) - before.lastIndexOf('\n')}`;
    })() : '';
    throw new Error(`${file}: not valid JSON${where}: ${(e as Error).message}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object (an experiment spec)`);
  const r = raw as Partial<ExperimentSpec>;
  const spec: ExperimentSpec = {
    name: r.name as string, title: r.title ?? (r.name as string), question: r.question ?? '', data: r.data ?? {},
    model: r.model ?? { preset: 'cpu-small' }, train: r.train ?? {}, augment: r.augment, seeds: r.seeds ?? [1, 2, 3],
    arms: r.arms as ArmSpec[], comparisons: r.comparisons ?? [],
    ...(r.profiles === undefined ? {} : { profiles: r.profiles }),
    ...(r.dataSeed === undefined ? {} : { dataSeed: r.dataSeed }),
    ...(r.valFaces === undefined ? {} : { valFaces: r.valFaces }),
  };
  return validateSpec(spec, file);
}
