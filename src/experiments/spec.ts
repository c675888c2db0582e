/**
 * Experiment specs: typed, JSON on disk. A spec names the data, the model preset, the training recipe, the seeds and
 * the arms (loss variants); the runner turns each (arm, seed) into `runs/<experiment>/<arm>-s<seed>/`.
 * A spec means what it says: the sizes it declares (seeds, model preset, steps, batch size, evaluation interval,
 * learning rate, face counts, augmentation; per profile under `profiles`) run as declared, and the profile
 * (STAR_PROFILE) fills in only the sizes it leaves out (scaleSpec).
 */
import type { SyntheticConfigInput } from '../data/synthetic/config';
import { PRESETS, type HourglassConfig, type PresetName } from '../model/config';
import type { TrainConfig } from '../train/trainer';
import { PROFILES, type Profile } from '../config/profile';
import type { LossSpec } from '../train/objective';
import { CPU_AUGMENT, type AugmentConfig } from '../data/augment';
import { OFFICIAL_SCHEDULE } from '../train/schedule';
import { resolveOptions } from '../loss/star-options';
import { findJsonSyntaxError } from '../util/json-syntax';
import type { GridAnalysis } from '../runs/aggregate';
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
  /** The synthetic benchmark; `counts` absent: the profile's. */
  data: SyntheticConfigInput;
  /** `preset` absent: the profile's. */
  model: { preset?: PresetName; overrides?: Partial<HourglassConfig> };
  /** `steps`, `batchSize`, `evalEvery`, `checkpointEvery`, `schedule.lr` absent: the profile's. */
  train: Partial<TrainConfig>;
  /** Training augmentation; absent: the profile's (CPU_AUGMENT). */
  augment?: Partial<AugmentConfig>;
  /** Absent: the profile's. */
  seeds?: number[];
  arms: ArmSpec[];
  /** Paired comparisons [baseline arm id, arm id]; the table reports arm − baseline. */
  comparisons: [string, string][];
  /**
   * Sizes this spec declares per profile (steps, seeds, counts, preset, ...): they win over the spec's own top-level
   * sizes and over the profile's defaults (PROFILE_SCALE), in that profile only.
   */
  profiles?: Partial<Record<Profile, Partial<ProfileScale>>>;
  /** 'run' (the regime's choice): each seed also draws its own synthetic dataset; absent: every seed shares data.seed. */
  dataSeed?: 'run';
  /** Validation faces per evaluation: a number, or 'all' (the whole split). Default 200. */
  valFaces?: number | 'all';
  /**
   * The analysis, declared before any run: primary comparisons (one Holm family on the clean-truth NME), the
   * equivalence margin (NME points) and α. Absent: every comparison is secondary, margin 0.5 points, α 0.05.
   */
  analysis?: GridAnalysis;
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

/** A spec with every size filled in for one profile: what runs (the runner, run keys and tables take this). */
export type ScaledSpec = ExperimentSpec & { seeds: number[]; model: { preset: PresetName }; train: TrainSizes; augment: Partial<AugmentConfig> };
type TrainSizes = Partial<TrainConfig> & Pick<TrainConfig, 'steps' | 'batchSize' | 'evalEvery' | 'checkpointEvery' | 'schedule'>;

/** The sizes a spec declares itself (top level), in the profile's terms. */
function declaredSizes(spec: ExperimentSpec): Partial<ProfileScale> {
  const d: Partial<ProfileScale> = {};
  if (spec.seeds !== undefined) d.seeds = spec.seeds;
  if (spec.model.preset !== undefined) d.preset = spec.model.preset;
  if (spec.train.steps !== undefined) d.steps = spec.train.steps;
  if (spec.train.batchSize !== undefined) d.batchSize = spec.train.batchSize;
  if (spec.train.evalEvery !== undefined) d.evalEvery = spec.train.evalEvery;
  if (spec.train.schedule?.lr !== undefined) d.lr = spec.train.schedule.lr;
  if (spec.augment !== undefined) d.augment = spec.augment as AugmentConfig;
  return d;
}

/**
 * The spec as it runs in `profile`: each size from the spec's `profiles[profile]`, else the spec's own declaration,
 * else the profile's default (PROFILE_SCALE). Face counts merge per split the same way. Arms, comparisons and every
 * other setting are the spec's. Idempotent: scaling a scaled spec (or `--print`'s output) changes nothing.
 */
export function scaleSpec(spec: ExperimentSpec, profile: Profile): ScaledSpec {
  const own = spec.profiles?.[profile];
  const s: ProfileScale = { ...PROFILE_SCALE[profile], ...declaredSizes(spec), ...own };
  const counts = { ...PROFILE_SCALE[profile].counts, ...spec.data.counts, ...own?.counts };
  return {
    ...spec,
    data: { ...spec.data, counts },
    model: { ...spec.model, preset: s.preset },
    train: {
      ...spec.train, steps: s.steps, evalEvery: s.evalEvery, batchSize: s.batchSize,
      checkpointEvery: spec.train.checkpointEvery ?? Math.max(5, Math.round(s.steps / 10)),
      schedule: { ...OFFICIAL_SCHEDULE, ...spec.train.schedule, lr: s.lr },
    },
    augment: s.augment,
    seeds: s.seeds,
  };
}

/** What `experiment --print` shows: the scaled spec without `profiles` (already applied), so it runs as printed in any profile. */
export function printableSpec(spec: ExperimentSpec, profile: Profile): ScaledSpec {
  const { profiles: _applied, name, title, question, ...scaled } = scaleSpec(spec, profile);
  return { name, title, question, ...scaled };
}

/** The spec with only the given arms (and the comparisons among them). */
export function restrictSpec<S extends ExperimentSpec>(spec: S, armIds: string[]): S {
  return { ...spec, arms: spec.arms.filter((a) => armIds.includes(a.id)), comparisons: spec.comparisons.filter(([a, b]) => armIds.includes(a) && armIds.includes(b)) };
}

export function validateSpec<S extends ExperimentSpec>(spec: S, source = '<spec>'): S {
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
  if (!spec.model || typeof spec.model !== 'object' || Array.isArray(spec.model)) fail('model', 'expected an object like { "preset": "cpu-tiny" }');
  const preset = spec.model.preset;
  if (preset !== undefined && (typeof preset !== 'string' || !Object.hasOwn(PRESETS, preset))) fail('model.preset', `unknown preset ${JSON.stringify(preset)}, expected one of ${Object.keys(PRESETS).join(', ')}`);
  for (const k of ['steps', 'batchSize'] as const) {
    const v = spec.train?.[k];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) fail(`train.${k}`, `expected a positive integer, got ${JSON.stringify(v)}`);
  }
  if (spec.train?.evalEvery !== undefined && !(Number.isInteger(spec.train.evalEvery) && spec.train.evalEvery >= 0)) fail('train.evalEvery', `expected an integer >= 0 (0: evaluate only at the end), got ${JSON.stringify(spec.train.evalEvery)}`);
  for (const [k, v] of Object.entries(spec.data?.counts ?? {})) {
    if (!(Number.isInteger(v) && (v as number) > 0)) fail(`data.counts.${k}`, `expected a positive integer, got ${JSON.stringify(v)}`);
  }
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
  if (spec.seeds !== undefined && (!Array.isArray(spec.seeds) || spec.seeds.length === 0 || spec.seeds.some((s) => !Number.isInteger(s)))) fail('seeds', 'expected a non-empty list of integers');
  if (spec.analysis !== undefined) {
    const an = spec.analysis;
    if (!an || typeof an !== 'object') fail('analysis', 'expected an object { margin, alpha?, primary? }');
    if (!(typeof an.margin === 'number' && an.margin > 0 && Number.isFinite(an.margin))) fail('analysis.margin', `expected NME points > 0, got ${JSON.stringify(an.margin)}`);
    if (an.alpha !== undefined && !(an.alpha > 0 && an.alpha < 1)) fail('analysis.alpha', `expected a number in (0, 1), got ${JSON.stringify(an.alpha)}`);
    if (an.stages !== undefined) {
      // Not checked against the seeds: a profile may run fewer (smoke, quick), and then stays in its first stage.
      const st = an.stages;
      if (!Array.isArray(st) || st.length === 0 || st.some((n, i) => !Number.isInteger(n) || n < 2 || (i > 0 && n <= st[i - 1]))) {
        fail('analysis.stages', `expected increasing paired-seed counts >= 2, got ${JSON.stringify(st)}`);
      }
    }
    (an.primary ?? []).forEach((p, i) => {
      for (const k of ['baseline', 'arm'] as const) if (!ids.has(p[k])) fail(`analysis.primary[${i}].${k}`, `unknown arm "${p[k]}"`);
      if (p.versus) for (const k of ['baseline', 'arm'] as const) if (!ids.has(p.versus[k])) fail(`analysis.primary[${i}].versus.${k}`, `unknown arm "${p.versus[k]}"`);
      if (!/^[a-z0-9][a-z0-9.-]*$/.test(p.id ?? '')) fail(`analysis.primary[${i}].id`, 'expected lower-case letters, digits, dots and dashes');
    });
  }
  (spec.comparisons ?? []).forEach(([a, b], i) => {
    if (!ids.has(a)) fail(`comparisons[${i}][0]`, `unknown arm "${a}"`);
    if (!ids.has(b)) fail(`comparisons[${i}][1]`, `unknown arm "${b}"`);
  });
  return spec;
}

/**
 * Read an experiment spec from a JSON file (your own ablation): the fields of ExperimentSpec, with `title`,
 * `question`, `data`, `model`, `train`, `seeds` and `comparisons` optional. The sizes it declares run as declared;
 * those it leaves out come from the profile (scaleSpec). Errors name the file and the field, or the line and column of
 * a JSON syntax error. Start from a built-in one: `npm run -s star -- experiment ablation-omega --print > my-spec.json`.
 */
export function readSpecFile(file: string): ExperimentSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (text.startsWith('\uFEFF')) text = text.slice(1); // a byte-order mark, as some Windows editors write
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const where = findJsonSyntaxError(text);
    throw new Error(`${file}: not valid JSON${where ? ` at line ${where.line}, column ${where.column}: ${where.reason}` : `: ${(e as Error).message}`}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object (an experiment spec)`);
  const r = raw as Partial<ExperimentSpec>;
  const spec: ExperimentSpec = {
    name: r.name as string, title: r.title ?? (r.name as string), question: r.question ?? '', data: r.data ?? {},
    model: r.model ?? {}, train: r.train ?? {}, arms: r.arms as ArmSpec[], comparisons: r.comparisons ?? [],
    ...(r.augment === undefined ? {} : { augment: r.augment }),
    ...(r.seeds === undefined ? {} : { seeds: r.seeds }),
    ...(r.profiles === undefined ? {} : { profiles: r.profiles }),
    ...(r.dataSeed === undefined ? {} : { dataSeed: r.dataSeed }),
    ...(r.valFaces === undefined ? {} : { valFaces: r.valFaces }),
    ...(r.analysis === undefined ? {} : { analysis: r.analysis }),
  };
  return validateSpec(spec, file);
}
