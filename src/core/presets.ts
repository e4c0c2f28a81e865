// Named policies for the middleboxes users fight: keepalive that speaks before a load
// balancer or firewall drops an idle connection, with the arithmetic in docs/policy.md.
// Each is plain data, a Policy a user could have written.

/** The preset names a Policy's `preset` field takes. */
export type PresetName = 'aws-nlb' | 'azure-lb' | 'gcp-lb' | 'strict';

interface PresetPolicy {
  readonly keepAlive?: { readonly idle: number; readonly interval: number; readonly count: number };
  readonly deadPeerTimeout?: number;
}

/** ms throughout. */
export const PRESETS: Readonly<Record<PresetName, PresetPolicy>> = Object.freeze({
  // AWS Network Load Balancer: a TCP flow idle for 350 s is dropped (its default idle timeout).
  // First probe at 300 s, then every 30 s: the flow is never idle 350 s; a dead peer is
  // found 300 + 3 × 30 = 390 s after it last spoke.
  'aws-nlb': { keepAlive: { idle: 300_000, interval: 30_000, count: 3 } },
  // Azure Load Balancer: idle timeout 4 minutes by default (240 s).
  'azure-lb': { keepAlive: { idle: 180_000, interval: 30_000, count: 3 } },
  // Google Cloud: established TCP connections idle for 10 minutes (600 s) are dropped by
  // VPC connection tracking.
  'gcp-lb': { keepAlive: { idle: 300_000, interval: 60_000, count: 3 } },
  // A dead peer found within 30 s whether idle or with data in flight (deadPeer(30000):
  // keepalive 15 s + 3 × 5 s, TCP_USER_TIMEOUT 30 s).
  strict: { deadPeerTimeout: 30_000 },
});

export const presetNames = Object.keys(PRESETS) as PresetName[];
