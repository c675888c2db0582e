/**
 * Learning-rate schedule: the official MultiStepLR shape (x0.1 at 200/350/450 of 500 epochs), expressed as fractions of
 * the run so that CPU-length runs keep the same shape.
 */
export interface ScheduleConfig {
  lr: number;
  /** Fractions of the total steps at which the rate is multiplied by `gamma` (official: 0.4, 0.7, 0.9). */
  milestones: number[];
  gamma: number;
  /** Linear warm-up steps (0 = none, as official). */
  warmupSteps: number;
}

export const OFFICIAL_SCHEDULE: ScheduleConfig = { lr: 1e-3, milestones: [0.4, 0.7, 0.9], gamma: 0.1, warmupSteps: 0 };

export function learningRate(cfg: ScheduleConfig, step: number, totalSteps: number): number {
  let lr = cfg.lr;
  for (const m of cfg.milestones) if (step >= Math.round(m * totalSteps)) lr *= cfg.gamma;
  if (cfg.warmupSteps > 0 && step < cfg.warmupSteps) lr *= (step + 1) / cfg.warmupSteps;
  return lr;
}
