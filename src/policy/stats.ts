// What the process policies skipped: an option that cannot apply to a socket is skipped,
// never a reason to kill the connection, and counted here.
import { skipped, type SkipReason } from '../birth/layers';

/** Counts since the process started, by option and reason. */
export interface PolicyStats {
  skipped: Record<string, Partial<Record<SkipReason, number>>>;
}

/** Policy options skipped so far, by option and reason ('listener-only', 'bind-time', 'family', 'refused'). */
export function policyStats(): PolicyStats {
  return { skipped: Object.fromEntries([...skipped].map(([name, c]) => [name, { ...c }])) };
}
