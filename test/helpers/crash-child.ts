/**
 * Child process for the checkpoint crash test: trains the shared job (resume-run.ts) and SIGKILLs itself inside the
 * checkpoint write of step `argv[4]`: at the first rename (`checkpoint` -> `.old`, the new copy complete beside it) or
 * between the two renames (no `checkpoint` left, two intact copies). The hook wraps fs.renameSync, so the library
 * code runs unmodified up to the kill.
 */
import fs from 'fs';
import * as path from 'path';
import { initBackend } from 'tfjs-wasm-train';
import { trainResumeJob } from './resume-run';

const [dir, mode, stepText] = process.argv.slice(2);
const killStep = Number(stepText);
const ckpt = path.join(dir, 'checkpoint');
const rename = fs.renameSync;
fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
  const tmp = `${ckpt}.tmp-${process.pid}`;
  const writing = fs.existsSync(path.join(tmp, 'state.json')) && JSON.parse(fs.readFileSync(path.join(tmp, 'state.json'), 'utf8')).step === killStep;
  if (writing && mode === 'first-rename' && String(from) === ckpt) process.kill(process.pid, 'SIGKILL');
  rename(from, to);
  if (writing && mode === 'between-renames' && String(to) === `${ckpt}.old-${process.pid}`) process.kill(process.pid, 'SIGKILL');
}) as typeof fs.renameSync;

(async () => {
  await initBackend({ quiet: true });
  await trainResumeJob(dir);
  console.log('finished without being killed');
})();
