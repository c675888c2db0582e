/**
 * Writes the regime's secondary experiments (src/experiments/regime-secondary.ts) as the JSON spec files the grid's
 * tagged commit trains them from; test/regime-secondary.test.ts fails when a file differs from its spec.
 *   node --import tsx scripts/secondary-specs.ts            write src/experiments/specs/regime-{restriction,omega,distance}.json
 *   node --import tsx scripts/secondary-specs.ts --check    exit 1 when a file differs
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../src/config/profile';
import { REGIME_SECONDARY, secondarySpecFile } from '../src/experiments/regime-secondary';
import type { ExperimentSpec } from '../src/experiments/spec';

export const specFileText = (spec: ExperimentSpec): string => `${JSON.stringify(spec, null, 2)}\n`;

function main(): void {
  const check = process.argv.includes('--check');
  let stale = 0;
  for (const spec of REGIME_SECONDARY) {
    const file = path.join(PROJECT_ROOT, secondarySpecFile(spec));
    const text = specFileText(spec);
    const same = fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text;
    if (check) {
      if (!same) { stale++; console.error(`${secondarySpecFile(spec)}: differs from src/experiments/regime-secondary.ts (run node --import tsx scripts/secondary-specs.ts)`); }
    } else if (!same) {
      fs.writeFileSync(file, text);
      console.log(`${secondarySpecFile(spec)}: written`);
    }
  }
  if (stale) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) main();
