// sockopt run [--policy JSON | --preset NAME] -- COMMAND [ARGS…]: starts a program with a
// process policy and no code change. The child gets `--require <this package's own
// absolute lib/register.js>` added to NODE_OPTIONS and the policy in SOCKOPT, so neither
// the working directory nor the program's own node_modules decides whether it loads.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { usageError } from '../kernel/errors';
import { compileTuneOptions } from '../policy/tune-sockets';
import { presetNames } from '../core/presets';
import { parse } from './args';
import type { Output } from './output';

export const usage = `sockopt run [--policy JSON | --preset NAME] -- COMMAND [ARGS…]
  Runs COMMAND with a process policy on every socket its Node processes open or
  accept (Node children too: the policy travels in NODE_OPTIONS and SOCKOPT).
    --policy JSON   the SOCKOPT text: {"client":{…},"server":{…},"rules":[…]}
    --preset NAME   {"client":{"preset":NAME}} (${presetNames.join(', ')})
  Without either, the SOCKOPT already in the environment is used (it must be set).
  The exit code is COMMAND's; a signal that ends it ends sockopt the same way.`;

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
  const { values, positionals } = parse(own, { policy: { type: 'string' }, preset: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, Infinity);
  if (values.help) {
    io.out(usage);
    return 0;
  }
  if (positionals.length) throw usageError(`put the command after --: sockopt run [--policy JSON] -- ${positionals.join(' ')}`);
  if (command.length === 0) throw usageError('missing the command to run, after -- (e.g. sockopt run --preset strict -- node app.js)');
  if (values.policy !== undefined && values.preset !== undefined) throw usageError('--policy and --preset: give one (a preset can be named inside the policy: {"client":{"preset":"strict"}})');
  const json = values.preset !== undefined ? JSON.stringify({ client: { preset: values.preset } }) : (values.policy ?? process.env.SOCKOPT);
  if (json === undefined || json.trim() === '') throw usageError('no policy: give --policy JSON or --preset NAME, or set SOCKOPT');
  // Checked here, with the same rules register applies, so a mistake is one line now and not a crash in the child.
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw usageError(`--policy is not valid JSON (${(err as Error).message})`);
  }
  compileTuneOptions(parsed, values.preset !== undefined ? '--preset' : 'SOCKOPT', true);
  const env = { ...process.env, SOCKOPT: json, NODE_OPTIONS: withRegister(process.env.NODE_OPTIONS) };
  const child = spawn(command[0]!, command.slice(1), { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, forward);
  return await new Promise<number>((resolve) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      io.err(`sockopt: could not start ${JSON.stringify(command[0])}: ${err.code ?? err.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, forward);
      if (signal) {
        process.kill(process.pid, signal);
        resolve(128 + 1);
      } else resolve(code ?? 1);
    });
  });
}
