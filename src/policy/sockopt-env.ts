// The SOCKOPT text sockopt/register reads, which `sockopt run` hands on and `sockopt
// doctor` checks: a process policy, with an optional "explainErrors" boolean beside it
// that is not part of the policy. One reading for all three, so the CLI never refuses a
// text register takes (or takes one it refuses).
import { invalidArgType } from '../kernel/errors';

/**
 * The policy's text without the explainErrors key, and that key's value (false when absent).
 * Text that is not a JSON object comes back as it is: the policy's own check says what is wrong.
 * @throws ERR_INVALID_ARG_TYPE when explainErrors is there and not a boolean (named `${from}.explainErrors`).
 */
export function splitExplain(text: string, from: string): { policy: string; explainErrors: boolean } {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch {
    return { policy: text, explainErrors: false };
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config) || !Object.prototype.hasOwnProperty.call(config, 'explainErrors')) return { policy: text, explainErrors: false };
  const { explainErrors, ...policy } = config as { explainErrors: unknown };
  if (typeof explainErrors !== 'boolean') throw invalidArgType(`${from}.explainErrors`, 'of type boolean', explainErrors);
  return { policy: JSON.stringify(policy), explainErrors };
}
