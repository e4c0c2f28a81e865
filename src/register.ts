// `node -r sockopt/register app.js` or `node --import sockopt/register app.mjs`:
// installs the process-wide policy given as JSON in the SOCKOPT environment
// variable (the argument of tuneSockets without `filter`), with no code change:
//   SOCKOPT='{"client":{"deadPeerTimeout":30000,"sockopts":{"TCP_SYNCNT":2}}}' node -r sockopt/register app.js
// A bad value stops the process at start: this module throws while being loaded, and
// Node exits with the error, whose message names SOCKOPT and the bad option.
// Without SOCKOPT (or with it empty) nothing is loaded and nothing is subscribed.
// `"explainErrors": true` beside the policy turns on errors that explain themselves
// (err.tcp and a clause in the message of ETIMEDOUT, ECONNRESET, EHOSTUNREACH, EPIPE):
//   SOCKOPT='{"explainErrors":true,"client":{"deadPeerTimeout":30000}}' node -r sockopt/register app.js
import type * as policy from './policy/tune-sockets';
import type * as explain from './telemetry/explain';
import type * as env from './policy/sockopt-env';

const raw = process.env.SOCKOPT;
if (raw !== undefined && raw.trim() !== '') {
  // Loaded only when a policy is asked for, so an unset SOCKOPT costs nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tune = require('./policy/tune-sockets') as typeof policy;
  // The explainErrors key taken out (turning it on); the rest is the policy, as parsed
  // (policy/sockopt-env.ts: the reading `sockopt run` and `doctor` check it with).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const read = (require('./policy/sockopt-env') as typeof env).splitExplain(raw, 'SOCKOPT');
  if (!read.json) throw tune.invalidJson(raw, 'SOCKOPT', read.error);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (read.explainErrors) (require('./telemetry/explain') as typeof explain).explainErrors();
  tune.tuneSocketsFromParsed(read.policy, 'SOCKOPT');
}
