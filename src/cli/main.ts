/**
 * The command line: `npm run star -- <command> [options]` (or `node --import tsx src/cli/main.ts ...`).
 * One file per command in this folder; each parses and validates its options (./args.ts, ./paths.ts), then calls the
 * library. `--help` prints a command's usage and does nothing else; a bad option exits with code 2 and names it.
 * `--verbose`, accepted by every command, prints the backend's full report instead of its one-line summary.
 */
import { exitWithError, UsageError, wantsHelp, type Command } from './args';
import { bench } from './bench';
import { evaluate } from './evaluate';
import { experiment } from './experiment';
import { generate } from './generate';
import { model } from './model';
import { predict } from './predict';
import { tables } from './tables';
import { train } from './train';

const COMMANDS: Record<string, Command> = { experiment, train, generate, evaluate, predict, tables, model, bench };

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return `star — STAR loss research CLI\n\nusage: npm run star -- <command> [options] [--verbose]   (each command has --help)\n\n${Object.entries(COMMANDS)
    .map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`).join('\n')}\n\n--verbose (any command): the backend's full report (every rung tried and why, the kernels in use) instead of one line\n` +
    'env: STAR_PROFILE=smoke|quick|full, STAR_BACKEND=auto|wasm|wasm-threaded|wasm-single|host|cpu|tensorflow|tensorflow-gpu, STAR_THREADS=n, STAR_ENGINES=pinned|fastest, STAR_VERBOSE=1 (= --verbose), STAR_DEBUG=1 (stack traces)';
}

/** `--verbose` (before a `--`) is the whole CLI's: removed here and passed on as STAR_VERBOSE=1 (read by initBackend). */
function takeVerbose(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  if (!head.includes('--verbose')) return argv;
  process.env.STAR_VERBOSE = '1';
  return [...head.filter((a) => a !== '--verbose'), ...(end < 0 ? [] : argv.slice(end))];
}

async function main(argvIn: string[]): Promise<void> {
  const [name, ...rest] = takeVerbose(argvIn);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help());
    return;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})`);
  if (wantsHelp(rest) && !command.forwardsArguments) {
    console.log(command.usage);
    return;
  }
  await command.run(rest);
}

const argv = process.argv.slice(2);
main(argv).then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    const name = argv[0] !== undefined && Object.hasOwn(COMMANDS, argv[0]) ? argv[0] : undefined;
    exitWithError(name ? `star ${name}` : 'star', e, name ? `npm run star -- ${name} --help` : 'npm run star -- --help');
  },
);
