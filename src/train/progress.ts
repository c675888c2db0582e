/**
 * Progress for long jobs: step, epoch, ETA, current loss and last validation NME.
 * On a terminal: one self-overwriting bar. Elsewhere (CI logs, notebooks): a compact line every `everyFraction` of the run.
 * The ETA comes from the recent training steps plus the evaluations still to come (EtaEstimator): the first steps of a
 * run are several times slower than the rest (V8 and kernel warm-up), so an average since the start overstated it
 * (14 min shown for an arm that took 1.5).
 */
import { formatDuration } from '../util/duration';

export { formatDuration };
export interface ProgressInfo {
  step: number;
  total: number;
  epoch: number;
  loss?: number;
  valNme?: number;
  msPerStep?: number;
  label?: string;
  /** Seconds left, when the caller knows better than the reporter (e.g. after a resume). */
  etaSeconds?: number;
}

export interface ProgressReporter {
  update(info: ProgressInfo): void;
  message(text: string): void;
  done(): void;
}

/**
 * Time left = recent ms per training step × steps left + last evaluation's time × evaluations left. Step time is
 * measured over the last `window` reports (evaluation and checkpoint time excluded by the caller); the first report's
 * steps (warm-up) are dropped as soon as a second report exists.
 */
export class EtaEstimator {
  private readonly recent: { steps: number; ms: number }[] = [];
  private lastEvalMs = 0;
  private reports = 0;

  constructor(private readonly window = 5) {}

  /** `steps` training steps took `ms` (no evaluation inside). */
  recordSteps(steps: number, ms: number): void {
    if (steps <= 0) return;
    this.reports += 1;
    this.recent.push({ steps, ms });
    if (this.reports === 2) this.recent.shift();
    if (this.recent.length > this.window) this.recent.shift();
  }

  recordEvaluation(ms: number): void {
    this.lastEvalMs = ms;
  }

  /** Recent ms per training step (NaN before any report). */
  msPerStep(): number {
    const steps = this.recent.reduce((s, r) => s + r.steps, 0);
    return steps ? this.recent.reduce((s, r) => s + r.ms, 0) / steps : NaN;
  }

  etaSeconds(stepsLeft: number, evaluationsLeft: number): number {
    return (this.msPerStep() * stepsLeft + this.lastEvalMs * evaluationsLeft) / 1000;
  }
}

export function describe(info: ProgressInfo, etaSeconds: number): string {
  const parts = [
    info.label ? `${info.label}` : '',
    `step ${info.step}/${info.total}`,
    `ep ${info.epoch}`,
    info.loss !== undefined ? `loss ${info.loss.toPrecision(4)}` : '',
    info.valNme !== undefined ? `val NME ${(100 * info.valNme).toFixed(2)}%` : '',
    info.msPerStep !== undefined ? `${info.msPerStep.toFixed(0)} ms/step` : '',
    `ETA ${formatDuration(etaSeconds)}`,
  ];
  return parts.filter(Boolean).join(' | ');
}

export function createProgress(opts: { stream?: NodeJS.WriteStream; everyFraction?: number; quiet?: boolean } = {}): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const tty = !!stream.isTTY && !process.env.CI;
  const every = opts.everyFraction ?? 0.1;
  const start = Date.now();
  let lastPrinted = -1;
  let firstStep: number | undefined;
  let firstTime = start;
  if (opts.quiet) return { update() {}, message() {}, done() {} };
  return {
    update(info) {
      if (firstStep === undefined) {
        firstStep = info.step;
        firstTime = Date.now();
      }
      const done = info.step - firstStep;
      const elapsed = (Date.now() - firstTime) / 1000;
      const eta = info.etaSeconds ?? (done > 0 ? (elapsed / done) * (info.total - info.step) : NaN);
      if (tty) {
        const width = 24;
        const filled = Math.round((width * info.step) / Math.max(1, info.total));
        const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
        stream.write(`\r${bar} ${describe(info, eta)}\x1b[K`);
      } else {
        const bucket = Math.floor((info.step / Math.max(1, info.total)) / every);
        if (bucket !== lastPrinted || info.step === info.total) {
          lastPrinted = bucket;
          stream.write(`${describe(info, eta)}\n`);
        }
      }
    },
    message(text) {
      stream.write(tty ? `\r\x1b[K${text}\n` : `${text}\n`);
    },
    done() {
      if (tty) stream.write('\n');
    },
  };
}
