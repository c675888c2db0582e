/**
 * The Slurm executor: an experiment grid's missing and failed runs become ONE job array (one task = one (arm, seed) run,
 * trained by `star experiment <spec> --only <arm> --seeds <seed>`, so the same runner, run key, run folder, lock and
 * resume as a local grid), and a job that depends on it (`afterany`) builds the tables. Resubmitting submits only what is
 * still missing or failed; an interrupted task's run resumes from its checkpoint.
 *
 * This module owns `<results>/slurm/<experiment>/<submission>/`: the batch scripts, a snapshot of a spec file, the
 * submission record (job ids, which run each task trains) and the tasks' logs (`logs/<job>_<task>.out`, ending with a
 * `star-slurm: exit <code>` line written by the batch script). Run folders stay src/runs/'s.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT, type Profile } from '../config/profile';
import { readJson, writeFileAtomic, writeJsonAtomic } from '../util/files';

export interface SlurmResources {
  partition?: string;
  /** Generic resources, e.g. gpu:1. */
  gres?: string;
  /** Wall-time limit per task, e.g. 02:00 (Slurm's formats). */
  time?: string;
  /** CPUs per task; also the task's compute threads (STAR_THREADS). Default 1. */
  cpus?: number;
  /** Memory per task, e.g. 4G. */
  mem?: string;
}

/** What a submission trains, and how its tasks name the experiment. */
export interface SubmissionPlan {
  experiment: string;
  /** The experiment argument the tasks pass to `star experiment` / `star tables` (a built-in name or a spec file). */
  experimentArg: string;
  /** Spec to snapshot into the submission folder (a spec file's content), so later edits of the file do not change the grid. */
  specSnapshot?: unknown;
  profile: Profile;
  resultsRoot: string;
  /** `<arm>-s<seed>` of each task, in task order; the arm and seed travel separately (arm ids may contain dashes). */
  runs: { arm: string; seed: number }[];
  resources: SlurmResources;
  allowMixed?: boolean;
  restart?: boolean;
}

/** submission.json: one per `star experiment --executor slurm` that submitted something. */
export interface SubmissionRecord {
  experiment: string;
  /** ISO time of submission. */
  time: string;
  arrayJobId: string;
  tablesJobId: string;
  /** Run of each array task, by task id. */
  runs: string[];
  profile: Profile;
  /** Folder of this submission, relative to the results root. */
  folder: string;
}

export const runName = (r: { arm: string; seed: number }) => `${r.arm}-s${r.seed}`;

/** `<results>/slurm/<experiment>`: every submission of the experiment has a folder here. */
export function slurmDir(resultsRoot: string, experiment: string): string {
  return path.join(resultsRoot, 'slurm', experiment);
}

/** Single-quoted for bash. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function resourceLines(r: SlurmResources): string[] {
  return [
    ...(r.partition ? [`#SBATCH --partition=${r.partition}`] : []),
    ...(r.gres ? [`#SBATCH --gres=${r.gres}`] : []),
    ...(r.time ? [`#SBATCH --time=${r.time}`] : []),
    `#SBATCH --cpus-per-task=${r.cpus ?? 1}`,
    ...(r.mem ? [`#SBATCH --mem=${r.mem}`] : []),
  ];
}

/** The star command line, run from the project root, with the options every task and the tables job share. */
function starCommand(p: SubmissionPlan, experimentArg: string, command: 'experiment' | 'tables'): string {
  return [`node --import tsx src/cli/main.ts ${command} ${q(experimentArg)}`, `--profile ${p.profile}`, `--results ${q(p.resultsRoot)}`, ...(p.allowMixed ? ['--allow-mixed'] : [])].join(' ');
}

/**
 * The array job's batch script. Each task trains one run; scancel's SIGTERM reaches the training process, which
 * writes a checkpoint and exits 130, while the script itself survives the signal (a trap) to log the exit code.
 */
export function arrayScript(p: SubmissionPlan, folder: string, experimentArg: string): string {
  const runs = p.runs.map((r) => q(`${r.arm} ${r.seed}`)).join(' ');
  return `#!/bin/bash
#SBATCH --job-name=star-${p.experiment}
#SBATCH --array=0-${p.runs.length - 1}
#SBATCH --output=${path.join(folder, 'logs', '%A_%a.out')}
#SBATCH --chdir=${PROJECT_ROOT}
${resourceLines(p.resources).join('\n')}
# ${p.experiment}: ${p.runs.length} run${p.runs.length === 1 ? '' : 's'} (arm seed), one per array task.
RUNS=(${runs})
read -r ARM SEED <<< "\${RUNS[$SLURM_ARRAY_TASK_ID]}"
echo "star-slurm: task \${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID} trains $ARM seed $SEED on $(hostname) at $(date -u +%FT%T.%3NZ)"
# One compute thread per allocated CPU (the native kernels' pool, or wasm's).
export STAR_THREADS="\${STAR_THREADS:-\${SLURM_CPUS_PER_TASK:-1}}"
# Pinned kernels (AVX2 on every node): a grid's tasks pair, and a requeued task resumes, on Intel and AMD nodes alike.
export STAR_ENGINES="\${STAR_ENGINES:-pinned}"
trap 'echo "star-slurm: SIGTERM: the run checkpoints and stops"' TERM
${starCommand(p, experimentArg, 'experiment')} --only "$ARM" --seeds "$SEED" --train-only${p.restart ? ' --restart' : ''} &
CHILD=$!
while :; do wait "$CHILD"; RC=$?; kill -0 "$CHILD" 2>/dev/null || break; done
echo "star-slurm: ended at $(date -u +%FT%T.%3NZ)"
echo "star-slurm: exit $RC"
exit "$RC"
`;
}

/** The tables job: after every array task has ended, whatever its state (afterany). */
export function tablesScript(p: SubmissionPlan, folder: string, experimentArg: string, arrayJobId: string): string {
  return `#!/bin/bash
#SBATCH --job-name=star-${p.experiment}-tables
#SBATCH --dependency=afterany:${arrayJobId}
#SBATCH --output=${path.join(folder, 'logs', 'tables-%j.out')}
#SBATCH --chdir=${PROJECT_ROOT}
${resourceLines({ ...p.resources, gres: undefined, cpus: 1 }).join('\n')}
${starCommand(p, experimentArg, 'tables')}
`;
}

/** A new submission folder's name: UTC time, sortable. */
function submissionFolder(resultsRoot: string, experiment: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let dir = path.join(slurmDir(resultsRoot, experiment), stamp);
  for (let i = 2; fs.existsSync(dir); i++) dir = path.join(slurmDir(resultsRoot, experiment), `${stamp}-${i}`);
  return dir;
}

function sbatch(args: string[]): string {
  let out: string;
  try {
    out = execFileSync('sbatch', ['--parsable', ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).toString();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT') throw new Error('sbatch not found: submit from a Slurm login node (or start the local cluster: bash scripts/slurm-local.sh start)');
    throw new Error(`sbatch ${args.join(' ')}: ${(err.stderr?.toString() || err.message).trim()}`);
  }
  const id = /^(\d+)/.exec(out.trim())?.[1];
  if (!id) throw new Error(`sbatch ${args.join(' ')}: no job id in its output "${out.trim()}"`);
  return id;
}

export interface Submitted {
  record: SubmissionRecord;
  /** Seconds from the first sbatch to the second's answer. */
  submitSeconds: number;
}

/** What --dry-run prints: both scripts, the tables job's dependency shown as a placeholder. */
export function dryRunText(p: SubmissionPlan): string {
  const folder = path.join(slurmDir(p.resultsRoot, p.experiment), '<submission>');
  const arg = p.specSnapshot === undefined ? p.experimentArg : path.join(folder, 'spec.json');
  return `# array job (sbatch ${path.join(folder, 'array.sbatch')})\n${arrayScript(p, folder, arg)}\n`
    + `# tables job (sbatch ${path.join(folder, 'tables.sbatch')})\n${tablesScript(p, folder, arg, '<array job id>')}`;
}

/** Write the scripts, submit the array and the dependent tables job, record the submission. */
export function submitGrid(p: SubmissionPlan): Submitted {
  if (p.runs.length === 0) throw new Error(`${p.experiment}: nothing to submit`);
  const folder = submissionFolder(p.resultsRoot, p.experiment);
  fs.mkdirSync(path.join(folder, 'logs'), { recursive: true });
  let arg = p.experimentArg;
  if (p.specSnapshot !== undefined) {
    arg = path.join(folder, 'spec.json');
    writeJsonAtomic(arg, p.specSnapshot);
  }
  const arrayFile = path.join(folder, 'array.sbatch');
  writeFileAtomic(arrayFile, arrayScript(p, folder, arg));
  const t0 = Date.now();
  let arrayJobId: string;
  try {
    arrayJobId = sbatch([arrayFile]);
  } catch (e) {
    fs.rmSync(folder, { recursive: true, force: true }); // nothing was submitted: no submission to remember
    throw e;
  }
  const tablesFile = path.join(folder, 'tables.sbatch');
  writeFileAtomic(tablesFile, tablesScript(p, folder, arg, arrayJobId));
  let tablesJobId: string;
  try {
    tablesJobId = sbatch([tablesFile]);
  } catch (e) {
    // The array runs anyway; record it, so that --status follows its tasks, and say how to build the tables.
    writeJsonAtomic(path.join(folder, 'submission.json'), {
      experiment: p.experiment, time: new Date().toISOString(), arrayJobId, tablesJobId: '', runs: p.runs.map(runName), profile: p.profile, folder: path.relative(p.resultsRoot, folder),
    } satisfies SubmissionRecord);
    throw new Error(`${(e as Error).message}\n(job array ${arrayJobId} was submitted; build the tables after it with: star tables ${p.experimentArg})`);
  }
  const submitSeconds = (Date.now() - t0) / 1000;
  const record: SubmissionRecord = {
    experiment: p.experiment, time: new Date().toISOString(), arrayJobId, tablesJobId, runs: p.runs.map(runName), profile: p.profile,
    folder: path.relative(p.resultsRoot, folder),
  };
  writeJsonAtomic(path.join(folder, 'submission.json'), record);
  return { record, submitSeconds };
}

/** Every submission of an experiment under a results root, oldest first. */
export function readSubmissions(resultsRoot: string, experiment: string): SubmissionRecord[] {
  const dir = slurmDir(resultsRoot, experiment);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort().flatMap((d) => {
    const f = path.join(dir, d, 'submission.json');
    return fs.existsSync(f) ? [readJson<SubmissionRecord>(f)] : [];
  });
}

/** The log of one array task, or null when it has none (yet). */
export function taskLogFile(resultsRoot: string, s: SubmissionRecord, taskId: number): string {
  return path.join(resultsRoot, s.folder, 'logs', `${s.arrayJobId}_${taskId}.out`);
}

/** What a task's log says about how it ended: the exit code its batch script logged (null: none logged) and the last lines. */
export function readTaskLog(file: string, lastLines = 6): { exitCode: number | null; tail: string[] } | null {
  if (!fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() !== '');
  const exits = lines.map((l) => /^star-slurm: exit (\d+)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const body = lines.filter((l) => !/^star-slurm: (exit \d+|ended at .*)$/.test(l));
  return { exitCode: exits.length ? Number(exits[exits.length - 1][1]) : null, tail: body.slice(-lastLines) };
}
