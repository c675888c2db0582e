/**
 * Progress for long jobs: step, epoch, ETA, current loss and last validation NME.
 * On a terminal: one self-overwriting bar. Elsewhere (CI logs, notebooks): a compact line every `everyFraction` of the run.
 */
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

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
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
