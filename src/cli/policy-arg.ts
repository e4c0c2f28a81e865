// The policy `sockopt run` and `sockopt doctor` take: --preset NAME, --policy JSON, or the
// SOCKOPT already in the environment, checked with the rules sockopt/register applies.
// Every mistake is a usage error (exit 2) naming where the policy came from.
import { usageError } from '../kernel/errors';
import { splitExplain } from '../policy/sockopt-env';
import { compileTuneOptions } from '../policy/tune-sockets';
import type { Installed } from '../policy/process';

/** The policy's text and where it came from (the name its errors use), or undefined when none was given. */
export interface PolicyArg {
  json: string;
  from: '--preset' | '--policy' | 'SOCKOPT';
}

/** --preset or --policy (not both), else a non-blank SOCKOPT from the environment. */
export function policyArg(values: { policy?: string | undefined; preset?: string | undefined }): PolicyArg | undefined {
  if (values.policy !== undefined && values.preset !== undefined) {
    throw usageError('--policy and --preset: give one (a preset can be named inside the policy: {"client":{"preset":"strict"}})');
  }
  if (values.preset !== undefined) return { json: JSON.stringify({ client: { preset: values.preset } }), from: '--preset' };
  if (values.policy !== undefined) return { json: values.policy, from: '--policy' };
  const env = process.env.SOCKOPT;
  return env !== undefined && env.trim() !== '' ? { json: env, from: 'SOCKOPT' } : undefined;
}

/**
 * The policy parsed and compiled; a mistake throws before any program starts or any
 * connection is made. An "explainErrors" boolean beside it is taken, as sockopt/register
 * takes it (run hands the text on whole; register turns it on in the program).
 */
export function compilePolicyArg(arg: PolicyArg): Installed {
  const read = splitExplain(arg.json, arg.from);
  if (!read.json) throw usageError(`${arg.from} is not valid JSON (${read.error.message}); write it as in docs/policy.md, e.g. {"client":{"deadPeerTimeout":30000}}`);
  return compileTuneOptions(read.policy, arg.from, true);
}
