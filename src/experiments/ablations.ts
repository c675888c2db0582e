/**
 * The paper's ablation designs, re-run on the synthetic benchmark (the paper's ablation numbers are not available to
 * us), plus one beyond the paper. Each declares the model it runs (cpu-tiny: 49 k parameters, 64 px crops) and leaves
 * seeds, steps, batch size and face counts to the profile (spec.ts PROFILE_SCALE: smoke 1 seed × 6 steps, quick 1 seed
 * × 1,200 steps, full 3 seeds × 2,000 steps); `experiment <name> --print --profile P` shows what runs in P.
 */
import type { ArmSpec, ExperimentSpec } from './spec';
import type { LossSpec } from '../train/objective';
import { REGIME, REGIME_PILOT } from './regime';

const base = {
  data: {},
  model: { preset: 'cpu-tiny' as const },
  train: {},
};

const star = (options: Extract<LossSpec, { kind: 'star' }>['options'] = {}): LossSpec => ({ kind: 'star', options });

export const DISTANCE: ExperimentSpec = {
  ...base,
  name: 'ablation-distance',
  title: 'Distance function with and without STAR',
  question: 'Does the 1/√λ re-weighting along the predicted principal axes help for each distance (smooth-L1, L1, L2)?',
  arms: [
    { id: 'coord-smoothl1', label: 'smooth-L1 (no STAR)', loss: { kind: 'coord', distance: 'smoothl1' } },
    { id: 'star-smoothl1', label: 'smooth-L1 + STAR', loss: star({ distance: 'smoothl1' }) },
    { id: 'coord-l1', label: 'L1 (no STAR)', loss: { kind: 'coord', distance: 'l1' } },
    { id: 'star-l1', label: 'L1 + STAR', loss: star({ distance: 'l1' }) },
    { id: 'coord-l2', label: 'L2 (no STAR)', loss: { kind: 'coord', distance: 'l2' } },
    { id: 'star-l2', label: 'L2 + STAR', loss: star({ distance: 'l2' }) },
  ],
  comparisons: [['coord-smoothl1', 'star-smoothl1'], ['coord-l1', 'star-l1'], ['coord-l2', 'star-l2']],
};

/** The paper's ω grid is unknown: log-spaced over five orders of magnitude, plus 0. */
export const OMEGAS = [0, 0.01, 0.1, 1, 10, 100];
export const OMEGA: ExperimentSpec = {
  ...base,
  name: 'ablation-omega',
  title: 'Value-restriction weight ω',
  question: 'How do accuracy and the predicted eigenvalues depend on the value-restriction weight ω?',
  arms: OMEGAS.map((w): ArmSpec => ({ id: `omega-${w}`, label: `ω = ${w}`, loss: star({ omega: w }) })),
  comparisons: OMEGAS.filter((w) => w !== 1).map((w): [string, string] => ['omega-1', `omega-${w}`]),
};

export const RESTRICTION: ExperimentSpec = {
  ...base,
  name: 'ablation-restriction',
  title: 'Eigenvalue restriction: none / value / detach / both',
  question: 'Which restriction keeps the eigenvalues from abnormal change and gives the best accuracy? (detach = our interpretation)',
  arms: [
    { id: 'none', label: 'no restriction (ω = 0)', loss: star({ omega: 0 }) },
    { id: 'value', label: 'value (ω = 1)', loss: star({ omega: 1 }) },
    { id: 'detach-eig', label: 'detach λ (ours)', loss: star({ omega: 0, detach: 'eigenvalues' }) },
    { id: 'detach-dec', label: 'detach λ and v (ours)', loss: star({ omega: 0, detach: 'decomposition' }) },
    { id: 'value-detach', label: 'value + detach λ', loss: star({ omega: 1, detach: 'eigenvalues' }) },
  ],
  comparisons: [['none', 'value'], ['none', 'detach-eig'], ['none', 'detach-dec'], ['value', 'value-detach']],
};

export const LOSSES: ExperimentSpec = {
  ...base,
  name: 'ablation-losses',
  title: 'STAR vs heatmap MSE vs AWing vs coordinate L1',
  question: 'Where does STAR stand against the usual heatmap and coordinate losses on the same network?',
  arms: [
    { id: 'star', label: 'STAR (smooth-L1, ω = 1)', loss: star() },
    { id: 'heatmap-mse', label: 'heatmap MSE', loss: { kind: 'heatmap-mse' } },
    { id: 'awing', label: 'AWing (heatmap)', loss: { kind: 'awing' } },
    { id: 'coord-l1', label: 'coordinate L1', loss: { kind: 'coord', distance: 'l1' } },
  ],
  comparisons: [['heatmap-mse', 'star'], ['awing', 'star'], ['coord-l1', 'star']],
};

/** Beyond the paper: the gain of STAR over its own baseline as annotation ambiguity grows from zero. */
export const AMBIGUITY_LEVELS = [0, 0.015, 0.03, 0.06];
export const AMBIGUITY: ExperimentSpec = {
  ...base,
  name: 'ambiguity-sweep',
  title: "STAR's gain vs annotation ambiguity (beyond the paper)",
  question: 'Does the gain of STAR over smooth-L1 grow with the tangential label scatter, and vanish without it?',
  arms: AMBIGUITY_LEVELS.flatMap((t): ArmSpec[] => [
    { id: `coord-t${t}`, label: `smooth-L1, σ_t = ${t}`, loss: { kind: 'coord', distance: 'smoothl1' }, data: { ambiguity: { sigmaTangent: t } } },
    { id: `star-t${t}`, label: `STAR, σ_t = ${t}`, loss: star(), data: { ambiguity: { sigmaTangent: t } } },
  ]),
  comparisons: AMBIGUITY_LEVELS.map((t): [string, string] => [`coord-t${t}`, `star-t${t}`]),
};

/**
 * The official model's attention heads (ADNet-style AAM: point and edge maps fused into the heatmap the loss sees,
 * trained with 10·AWing on each). Not part of the paper's STAR ablations; the paper trains with AAM on throughout.
 */
export const AAM: ExperimentSpec = {
  ...base,
  name: 'ablation-aam',
  title: 'STAR with and without the AAM heads (official loss combination)',
  question: 'Does the official combination STAR + 10·AWing(point maps) + 10·AWing(edge maps) with AAM fusion beat STAR alone on a CPU-sized model?',
  arms: [
    { id: 'star', label: 'STAR (smooth-L1, ω = 1), no AAM', loss: star() },
    { id: 'star-aam', label: 'STAR + AAM heads (official combination)', loss: star(), model: { aam: true } },
  ],
  comparisons: [['star', 'star-aam']],
};

/** The main job (`npm run main`): the most telling comparisons, one seed, minutes on a CPU. */
export const MAIN: ExperimentSpec = {
  ...base,
  name: 'main',
  title: 'STAR vs its baseline and heatmap regression (main job)',
  question: 'On the synthetic benchmark, does STAR beat smooth-L1 on the decoded mean, and how does it compare with heatmap MSE?',
  arms: [
    { id: 'coord-smoothl1', label: 'smooth-L1 (no STAR)', loss: { kind: 'coord', distance: 'smoothl1' } },
    { id: 'star-smoothl1', label: 'smooth-L1 + STAR', loss: star() },
    { id: 'heatmap-mse', label: 'heatmap MSE', loss: { kind: 'heatmap-mse' } },
  ],
  comparisons: [['coord-smoothl1', 'star-smoothl1'], ['heatmap-mse', 'star-smoothl1']],
};

export const EXPERIMENTS: Record<string, ExperimentSpec> = Object.fromEntries(
  [MAIN, DISTANCE, OMEGA, RESTRICTION, LOSSES, AMBIGUITY, AAM, REGIME_PILOT, REGIME].map((s) => [s.name, s]),
);
