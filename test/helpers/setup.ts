/**
 * Tests whose inputs belong to the set-up (Chromium, Jupyter, SciPy, the native addon, Slurm: what `npm run setup` and
 * `.ci/run` install) fail loudly when those are missing; a skipped test would let a broken install pass unnoticed.
 */
import assert from 'node:assert/strict';

/** `missing`: false when everything is there, else what is missing and how to install it. */
export function requireSetup(missing: string | false): void {
  if (missing) assert.fail(`set-up incomplete: ${missing}`);
}
