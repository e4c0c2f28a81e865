// The `sockopt` command's dispatch: inspect another process's sockets,
// open a tuned connection, look up an option. Errors are one line on stderr, never
// a stack trace; the exit code says what kind of failure it was.
import { errorFields, isWrittenInDocument, stdio, toJson, type Output } from './output';
import { usageError } from '../kernel/errors';

/** Exit codes of the `sockopt` command. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The operation failed: the connection was refused or timed out, the process does not exist. */
  failed: 1,
  /** The command was called wrongly: unknown command or flag, bad PID, HOST:PORT, --set, option name or value. */
  usage: 2,
  /** Not allowed: the process's fd table (or the option) needs rights this user lacks. */
  denied: 3,
} as const;

const USAGE = `usage: sockopt <command> [arguments] [--json]

  sockopt inspect PID [--fd N] [--all]          the sockets of a process, their options and TCP_INFO
  sockopt connect HOST:PORT [--set NAME=VALUE …] [--tls] [--timeout MS] [--all]
                                                 connect with options set before the SYN; show the result
  sockopt options [NAME]                         the options sockopt knows
  sockopt doctor HOST:PORT [--preset NAME | --policy JSON] [--timeout MS]
                                                 which bound fires first for a dead peer; checks the kernel holds the policy
  sockopt run [--preset NAME | --policy JSON] -- COMMAND [ARGS…]
                                                 runs a program with a process policy (no code change)

  --json on every command prints JSON (schemas in docs/cli.md); sockopt <command> --help for more.
  Exit codes: 0 done, 1 failed (refused, timed out, no such process), 2 usage, 3 permission denied.`;

interface Command {
  run(args: string[], io: Output): number | Promise<number>;
  usage: string;
}
// Each command's module is loaded when it runs: `inspect` does not pay for loading the
// policy, birth and TLS code the other commands use (a tenth of a second on a small VM).
const COMMANDS: Record<string, () => Promise<Command>> = {
  inspect: () => import('./inspect'),
  connect: () => import('./connect'),
  options: () => import('./options'),
  doctor: () => import('./doctor'),
  run: () => import('./run'),
};

// Codes of errors that are the caller's mistake (exit 2), and of refusals (exit 3).
const USAGE_CODES = new Set(['ERR_SOCKOPT_USAGE', 'ERR_SOCKOPT_UNKNOWN_OPTION', 'ERR_SOCKOPT_READ_ONLY', 'ERR_SOCKOPT_WRITE_ONLY', 'ERR_SOCKOPT_NOT_APPLICABLE', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']);
const DENIED_CODES = new Set(['EACCES', 'EPERM']);

/** Runs the command line `args` (without node and the script); resolves to the exit code. */
export async function main(args: string[], io: Output = stdio): Promise<number> {
  // A --json after `--` is the command's that `run` starts, not ours.
  const dash = args.indexOf('--');
  const json = (dash >= 0 ? args.slice(0, dash) : args).includes('--json');
  try {
    const [name, ...rest] = args;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      io.out(USAGE);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!load) throw usageError(`unknown command '${name}' (inspect, connect, options, doctor or run)`);
    return await (await load()).run(rest, io);
  } catch (err) {
    const { code, message } = errorFields(err);
    io.err(`sockopt: ${message}`);
    // A document begun on stdout (inspect's, streamed) has the error in it already.
    if (json && !isWrittenInDocument(err)) io.out(toJson({ error: { code, message } }));
    if (USAGE_CODES.has(code)) {
      // A mistake in the command line: the command's usage after the one line that says what.
      if (code === 'ERR_SOCKOPT_USAGE') io.err(Object.hasOwn(COMMANDS, args[0] ?? '') ? (await COMMANDS[args[0]!]!()).usage : USAGE);
      return EXIT.usage;
    }
    return DENIED_CODES.has(code) ? EXIT.denied : EXIT.failed;
  }
}
