// V8's young generation, for `sockopt inspect`: a short command that streams one socket
// at a time keeps it small. V8 doubles it whenever enough objects have survived scavenges
// since it last grew; a stream always has a few rows in flight, so over a large process
// it reached its largest size, all of it resident, for no gain in speed (docs/inspect.md
// has the figures). Set at run time, the flag is read at each scavenge's sizing decision.
import { setFlagsFromString } from 'node:v8';
import { RUNTIME } from './runtime';

let set = false;

/** Keeps V8's young generation from growing in this process (Node only: Bun and Deno are left as they are). */
export function keepYoungGenerationSmall(): void {
  if (set || RUNTIME !== 'node') return;
  set = true;
  setFlagsFromString('--semi-space-growth-factor=1');
}
