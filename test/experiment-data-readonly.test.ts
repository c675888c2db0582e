/**
 * A notebook reading the committed full results shows them without rewriting their tables: its tables list only the
 * arms with runs and allow mixed provenance, so writing them would replace `star tables`' (and a fresh clone's notebook
 * run would leave the checkout different from what the README was generated from).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPERIMENTS } from '../src/experiments/ablations';
import { ensureExperiment } from '../src/experiments/ensure';
import { experimentData } from '../src/report/experiment-data';
import { resultsDir } from '../src/config/profile';

test('experimentData on committed full results writes no tables; on a profile\'s own runs it does', async () => {
  const full = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readonly-'));
  fs.cpSync(path.join(resultsDir('full'), 'runs', 'main'), path.join(full, 'runs', 'main'), { recursive: true });
  const committed = await ensureExperiment(EXPERIMENTS.main, { profile: 'smoke', train: 'never', fullRoot: full });
  assert.equal(committed.committed, true);
  const d = experimentData(committed);
  assert.ok(d.tables.arms.length > 0 && d.tables.arms.every((a) => a.seeds === 3), 'the committed main grid, 3 seeds per arm');
  assert.equal(fs.existsSync(path.join(full, 'tables')), false, 'the committed results\' tables were rewritten');
  // The same runs as a profile's own (not committed): the notebook writes their tables, as before.
  const own = { ...committed, committed: false };
  experimentData(own);
  assert.ok(fs.existsSync(path.join(full, 'tables', 'main.json')));
  fs.rmSync(full, { recursive: true, force: true });
});
