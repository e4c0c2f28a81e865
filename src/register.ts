// `node -r sockopt/register app.js` or `node --import sockopt/register app.mjs`:
// installs the process-wide policy given as JSON in the SOCKOPT environment
// variable (the argument of tuneSockets without `filter`), with no code change:
//   SOCKOPT='{"client":{"deadPeerTimeout":30000,"sockopts":{"TCP_SYNCNT":2}}}' node -r sockopt/register app.js
// A bad value stops the process at start: this module throws while being loaded, and
// Node exits with the error, whose message names SOCKOPT and the bad option.
// Without SOCKOPT (or with it empty) nothing is loaded and nothing is subscribed.
import type * as policy from './policy/tune-sockets';

const raw = process.env.SOCKOPT;
if (raw !== undefined && raw.trim() !== '') {
  // Loaded only when a policy is asked for, so an unset SOCKOPT costs nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./policy/tune-sockets') as typeof policy).tuneSocketsFromJson(raw, 'SOCKOPT');
}
