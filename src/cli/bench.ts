/** `star bench`: the training-step benchmark, bench/train-step.ts (same as `npm run bench -- ...`), which owns its options. */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { PROJECT_ROOT } from '../config/profile';
import type { Command } from './args';

export const bench: Command = {
  summary: 'training-step benchmark (tfjs vs PyTorch on the same machine): see bench/README.md',
  usage: 'usage: star bench [options]   (the options of bench/train-step.ts: star bench --help lists them)',
  forwardsArguments: true,
  async run(argv) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'train-step.ts'), ...argv], { stdio: 'inherit' });
    process.exitCode = r.status ?? 1;
  },
};
