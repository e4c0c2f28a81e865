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
import { invalidArgType } from '../kernel/errors';
import { compilePolicy, type Policy } from '../core/policy';
import { tuneClient, type Tuning } from '../birth/tune';

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

const kPolicy = Symbol('sockopt.policy');

function split<O extends { policy?: Policy }>(options: O | undefined): [Omit<O, 'policy'> | undefined, ReturnType<typeof compilePolicy>] {
  // Like http.Agent: no options, or null, is the defaults.
  if (options !== undefined && options !== null && typeof options !== 'object') throw invalidArgType('options', 'an object', options);
  const { policy, ...rest } = options ?? ({} as O);
  return [options ? rest : undefined, compilePolicy(policy === undefined ? {} : policy, 'options.policy')];
}

/** http.Agent whose sockets carry a Policy; everything else is Node's http.Agent. */
export class SockoptAgent extends http.Agent {
  private readonly [kPolicy]: Tuning;

  constructor(options?: AgentOptions) {
    const [agentOptions, policy] = split(options);
    super(agentOptions);
    this[kPolicy] = { direction: 'client', compiled: policy };
  }

  override createConnection(options: object, callback?: (err: Error | null, socket: net.Socket) => void): net.Socket {
    return tuneClient((super.createConnection as CreateConnection).call(this, options, callback), this[kPolicy]);
  }
}

/** https.Agent whose sockets carry a Policy; TLS session reuse and everything else is Node's https.Agent. */
export class SockoptHttpsAgent extends https.Agent {
  private readonly [kPolicy]: Tuning;

  constructor(options?: HttpsAgentOptions) {
    const [agentOptions, policy] = split(options);
    super(agentOptions);
    this[kPolicy] = { direction: 'client', compiled: policy };
  }

  override createConnection(options: object, callback?: (err: Error | null, socket: net.Socket) => void): net.Socket {
    return tuneClient((super.createConnection as CreateConnection).call(this, options, callback), this[kPolicy]);
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
