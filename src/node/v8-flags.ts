// V8 flags `sockopt inspect` sets on its own process (never the library on its host's):
// a short command that streams one socket at a time, where V8's defaults are sized for a
// long-lived server. Set at run time, each is read where V8 decides, after start-up too
// (test/node/v8-flags.test.ts checks both on every Node major in CI; docs/inspect.md has
// the figures).
import { setFlagsFromString } from 'node:v8';
import { RUNTIME } from './runtime';

const done = new Set<string>();

function set(flag: string): void {
  if (RUNTIME !== 'node' || done.has(flag)) return; // Bun and Deno are left as they are
  done.add(flag);
  setFlagsFromString(flag);
}

/**
 * Keeps V8's young generation from growing. V8 doubles it whenever enough objects have
 * survived scavenges since it last grew; a stream always has a few rows in flight, so over
 * a large process it reached its largest size, all of it resident, for no gain in speed.
 * The flag is read at each scavenge's sizing decision.
 */
export function keepYoungGenerationSmall(): void {
  set('--semi-space-growth-factor=1');
}

/**
 * No Maglev (V8's mid tier, on by default from Node 24): code goes from the baseline tiers
 * straight to TurboFan. Maglev's compiles and code held more memory than they saved time in
 * a run that formats JSON; the flag is read at each tier-up decision.
 */
export function skipMaglev(): void {
  set('--no-maglev');
}
