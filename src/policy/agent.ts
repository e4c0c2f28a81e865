// http.Agent / https.Agent that put a Policy on every socket they open. Node's own
// Agent logic stays in charge: connection reuse (keep-alive parking), socket limits,
// and for https the TLS session cache (createConnection is Node's, given our socket).
// Parking calls socket.setKeepAlive(true, keepAliveMsecs), which rewrites the idle time
// (and on Node 20, through libuv 1.46, TCP_KEEPINTVL/TCP_KEEPCNT to 1/10): the policy's
// keepalive timing is put back right after (policy.ts guards the socket's setKeepAlive),
// so it survives parking.
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { invalidArgType, invalidArgValue } from '../kernel/errors';
import { compilePolicy, type Policy } from '../core/policy';
import { armClient, layerOf } from '../birth/client';
import { refuseBeforeSynOptions } from '../node/runtime';
import type { Layer } from '../birth/layers';

/** Node's http.Agent options plus the Policy every socket of the agent gets. */
export interface AgentOptions extends http.AgentOptions {
  /** Options for each socket the agent opens (sockopts before the SYN, keepAlive, userTimeout, deadPeerTimeout). */
  policy?: Policy;
}

/** Node's https.Agent options plus the Policy every socket of the agent gets. */
export interface HttpsAgentOptions extends https.AgentOptions {
  /** Options for each socket the agent opens (sockopts before the SYN, keepAlive, userTimeout, deadPeerTimeout). */
  policy?: Policy;
}

type CreateConnection = (options: object, callback?: (err: Error | null, socket: net.Socket) => void) => net.Socket;

// A Policy's fields belong in `policy`: at the agent's top level Node would ignore them
// (connect() and createServer() take `sockopts` there, so users write it), and the sockets
// would keep the 15-minute hang. Refused, as is a key one or two edits from `policy`.
// (keepAlive is http.Agent's own option, so it is not among them.)
const POLICY_FIELDS = ['sockopts', 'userTimeout', 'deadPeerTimeout', 'preset'];

function nearPolicy(key: string): boolean {
  if (key === 'policy' || Math.abs(key.length - 6) > 2) return false;
  const a = key.toLowerCase();
  const b = 'policy';
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]! <= 2;
}

function split<O extends { policy?: Policy }>(options: O | undefined): [Omit<O, 'policy'> | undefined, Layer] {
  // Like http.Agent: no options, or null, is the defaults.
  if (options !== undefined && options !== null && typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  for (const key of Object.keys(options ?? {})) {
    if (POLICY_FIELDS.includes(key)) {
      throw invalidArgValue(`options.${key}`, `a Policy field, which an agent takes inside \`policy\`: agent({ policy: { ${key}: … } })`);
    }
    if (nearPolicy(key) && key !== 'proxy') throw invalidArgValue(`options.${key}`, 'not an agent option; did you mean `policy`?');
  }
  const { policy, ...rest } = options ?? ({} as O);
  const layer = layerOf(compilePolicy(policy === undefined ? {} : policy, 'options.policy', 'client'), true);
  // Bun and Deno: the agent's policy goes on at 'connect', so what would not act then is
  // refused here, as tuneSockets() refuses it.
  refuseBeforeSynOptions(layer.prepared.map((p) => p.name), 'options.policy');
  return [options ? rest : undefined, layer];
}

// Both agents' policy part, added to Node's class by one mixin: the Policy split off the
// options before Node's constructor sees them, and put on each socket Node's
// createConnection makes. Kept in a WeakMap, not a field: a class expression's private
// member cannot be written into the .d.ts.
const policies = new WeakMap<http.Agent, Layer>();

// TypeScript's mixin rule: the base's constructor type takes `...args: any[]`. Typed as
// returning the base: the mixin adds no member, so the .d.ts shows Node's class.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withPolicy<Base extends new (...args: any[]) => http.Agent>(base: Base): Base {
  return class extends base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(...args: any[]) {
      const [agentOptions, policy] = split(args[0] as AgentOptions | undefined);
      super(agentOptions);
      policies.set(this, policy);
    }

    override createConnection(options: object, callback?: (err: Error | null, socket: net.Socket) => void): net.Socket {
      const socket = (super.createConnection as CreateConnection).call(this, options, callback);
      const policy = policies.get(this)!;
      // The agent's policy outranks process policies and yields to the app's own arm().
      if (policy.prepared.length) armClient(socket, policy, 'agent');
      return socket;
    }
  };
}

/** http.Agent whose sockets carry a Policy; everything else is Node's http.Agent. */
export class SockoptAgent extends withPolicy(http.Agent) {
  constructor(options?: AgentOptions) {
    super(options);
  }
}

/** https.Agent whose sockets carry a Policy; TLS session reuse and everything else is Node's https.Agent. */
export class SockoptHttpsAgent extends withPolicy(https.Agent) {
  constructor(options?: HttpsAgentOptions) {
    super(options);
  }
}

/**
 * An `http.Agent` with a Policy: `agent({ keepAlive: true, policy: { deadPeerTimeout: 30_000, sockopts: { TCP_SYNCNT: 2 } } })`.
 * A bad policy throws here (coded, naming the option). Pass it as `{ agent }` to
 * http.request, axios (`httpAgent`), got (`agent: { http }`).
 */
export function agent(options?: AgentOptions): SockoptAgent {
  return new SockoptAgent(options);
}

/** An `https.Agent` with a Policy; TLS session reuse stays Node's. See {@link agent}. */
export function httpsAgent(options?: HttpsAgentOptions): SockoptHttpsAgent {
  return new SockoptHttpsAgent(options);
}
