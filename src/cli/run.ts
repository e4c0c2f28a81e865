// sockopt run [--policy JSON | --preset NAME] -- COMMAND [ARGS…]: starts a program with a
// process policy and no code change. The child gets `--require <this package's own
// absolute lib/register.js>` added to NODE_OPTIONS and the policy in SOCKOPT, so neither
// the working directory nor the program's own node_modules decides whether it loads.
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import { binding } from '../kernel/binding';
import { usageError } from '../kernel/errors';
import { presetNames } from '../core/presets';
import { common, parse } from './args';
import { compilePolicyArg, policyArg } from './policy-arg';
import type { Output } from './output';

export const usage = `sockopt run [--policy JSON | --preset NAME] [--json] -- COMMAND [ARGS…]
  Runs COMMAND with a process policy on every socket its Node processes open or
  accept (Node children too: the policy travels in NODE_OPTIONS and SOCKOPT).
    --policy JSON   the SOCKOPT text: {"client":{…},"server":{…},"rules":[…]}
    --preset NAME   {"client":{"preset":NAME}} (${presetNames.join(', ')})
    --json          sockopt's own failure (a bad policy, no command) as a JSON error
                    document on stdout; COMMAND's output is its own (a --json after --
                    is COMMAND's)
  Without either, the SOCKOPT already in the environment is used (it must be set).
  The exit code is COMMAND's (127 if it could not be started); a signal that ends it
  ends sockopt the same way (SIGPIPE, SIGUSR1: exit 128 + its number). SIGTERM, SIGINT,
  SIGHUP, SIGQUIT and SIGUSR2 sent to sockopt are passed on; from the terminal it runs in
  (Ctrl-C, Ctrl-\\, a hangup) COMMAND has them itself, once.`;

/** The absolute path of this package's register entry (lib/register.js, beside lib/cli/). */
export const REGISTER = join(__dirname, '..', 'register.js');

/** NODE_OPTIONS with `--require <register>` added, quoted as Node's parser reads it. */
export function withRegister(nodeOptions: string | undefined): string {
  const quoted = `"${REGISTER.replace(/(["\\])/g, '\\$1')}"`;
  return `${nodeOptions ? `${nodeOptions} ` : ''}--require ${quoted}`;
}

export async function run(args: string[], io: Output): Promise<number> {
  const dash = args.indexOf('--');
  const own = dash >= 0 ? args.slice(0, dash) : args;
  const command = dash >= 0 ? args.slice(dash + 1) : [];
  // --json: a failure of sockopt's own (a bad policy, no command) is a JSON error document on stdout.
  const { values, positionals } = parse(own, { ...common, policy: { type: 'string' }, preset: { type: 'string' } }, Infinity);
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (positionals.length) throw usageError(`put the command after --: sockopt run [--policy JSON] -- ${positionals.join(' ')}`);
  if (command.length === 0) throw usageError('missing the command to run, after -- (e.g. sockopt run --preset strict -- node app.js)');
  const policy = policyArg(values);
  if (policy === undefined) throw usageError('no policy: give --policy JSON or --preset NAME, or set SOCKOPT');
  // Checked here, with the same rules register applies, so a mistake is one line now and not a crash in the child.
  compilePolicyArg(policy);
  const json = policy.json;
  const env = { ...process.env, SOCKOPT: json, NODE_OPTIONS: withRegister(process.env.NODE_OPTIONS) };
  let child: ChildProcess;
  try {
    child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
  } catch (err) {
    // Thrown, not emitted: E2BIG (the kernel takes at most 128 KiB per environment variable), …
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const hint = code === 'E2BIG' ? `: the policy (${json.length} characters) travels in the environment, where one variable may hold at most 128 KiB; give a shorter policy` : '';
    io.err(`sockopt: could not start ${JSON.stringify(command[0])}: ${code}${hint}`);
    return 127;
  }
  const forward = (signal: NodeJS.Signals) => {
    // The terminal's own signals reach its whole foreground group, COMMAND included: once is enough.
    if (FROM_TERMINAL.has(signal) && binding.terminalForeground?.() === true) return;
    child.kill(signal);
  };
  for (const s of FORWARDED) process.on(s, forward);
  return await new Promise<number>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      io.err(`sockopt: could not start ${JSON.stringify(command[0])}: ${err.code ?? err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward);
      if (signal) {
        // Ended by the same signal where Node lets one end it: not SIGPIPE (ignored) or
        // SIGUSR1 (its inspector's); then, as a shell reports it, 128 + its number.
        if (!KEPT_BY_NODE.has(signal)) process.kill(process.pid, signal);
        resolve(128 + (osConstants.signals[signal] ?? 0));
      } else resolve(code ?? 1);
    });
  });
}

// Passed on to COMMAND: what ends a process by default and Node lets a listener take.
const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'] as const;
// Sent by a terminal to its whole foreground process group (Ctrl-C, Ctrl-\, a hangup).
const FROM_TERMINAL: ReadonlySet<string> = new Set(['SIGINT', 'SIGQUIT', 'SIGHUP']);
// Signals that do not end a Node process sent to itself.
const KEPT_BY_NODE: ReadonlySet<string> = new Set(['SIGPIPE', 'SIGUSR1']);
