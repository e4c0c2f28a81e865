// The SOCKOPT text sockopt/register reads, which `sockopt run` hands on and `sockopt
// doctor` checks: a process policy, with an optional "explainErrors" boolean beside it
// that is not part of the policy. One reading for all three, so the CLI never refuses a
// text register takes (or takes one it refuses).
import { invalidArgType } from '../kernel/errors';

/** The SOCKOPT text read once: the policy (parsed, without the explainErrors key) and that key's value (false when absent). */
export type SockoptText = { json: true; policy: unknown; explainErrors: boolean } | { json: false; error: Error };

/**
 * Reads the text once. The policy is handed on as parsed, never written back to text and
 * read again: that would turn a number JSON gives as Infinity (1e400) into null ("the
 * system default") and recurse once per level of a deeply nested value.
 * @throws ERR_INVALID_ARG_TYPE when explainErrors is there and not a boolean (named `${from}.explainErrors`).
 */
export function splitExplain(text: string, from: string): SockoptText {
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (err) {
    return { json: false, error: err as Error };
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config) || !Object.prototype.hasOwnProperty.call(config, 'explainErrors')) return { json: true, policy: config, explainErrors: false };
  const { explainErrors, ...policy } = config as { explainErrors: unknown };
  if (typeof explainErrors !== 'boolean') throw invalidArgType(`${from}.explainErrors`, 'of type boolean', explainErrors);
  return { json: true, policy, explainErrors };
}
