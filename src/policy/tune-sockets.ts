// tuneSockets() and SOCKOPT: checking a process policy's options and installing them
// (process.ts). Every error is thrown here, before anything is subscribed.
import { invalidArgType, invalidArgValue, notApplicable, refuseUnknownKeys } from '../kernel/errors';
import { compilePolicy, type Policy } from '../core/policy';
import { refuseBeforeSynOptions } from '../node/runtime';
import { HAS_CONNECTION_ATTEMPT } from '../node/versions';
import type { SocketFilter } from './filter';
import { install, makeInstalled, type Installed } from './process';
import { compileRules, type Rule } from './rules';

/** The argument of `tuneSockets` (and, without `filter`, the JSON in the SOCKOPT environment variable). */
export interface TuneSocketsOptions {
  /** For sockets this process connects: net/tls connect, fetch/undici, http(s).Agent, database and RPC clients. */
  client?: Policy;
  /** For sockets this process accepts. */
  server?: Policy;
  /** Per-destination policies: the first rule whose `match` fits a socket overrides `client`/`server` for it, option by option. */
  rules?: Rule[];
  /**
   * Asked synchronously per socket; false leaves it untouched. A filter that throws,
   * returns a promise or destroys the socket leaves that socket without any process policy,
   * and is reported once as a process warning (code SOCKOPT_FILTER_*).
   */
  filter?: SocketFilter;
}

const TUNE_FIELDS = new Set(['client', 'server', 'rules', 'filter']);
const own = (o: object, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined);

/** Checks a `tuneSockets` argument; `path` prefixes error messages (e.g. 'SOCKOPT'). `json`: it came from JSON text. */
export function compileTuneOptions(options: unknown, path: string, json = false): Installed {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType(path, 'an object { client, server, rules, filter }', options);
  refuseUnknownKeys(options, TUNE_FIELDS, path);
  const filter = own(options, 'filter');
  if (filter !== undefined && json) throw invalidArgValue(`${path}.filter`, 'a filter is a function, which JSON cannot carry; call tuneSockets({ filter }) in code (e.g. a file loaded with --import)');
  if (filter !== undefined && typeof filter !== 'function') throw invalidArgType(`${path}.filter`, 'of type function', filter);
  const client = own(options, 'client') !== undefined ? compilePolicy(own(options, 'client'), `${path}.client`, 'client') : undefined;
  const server = own(options, 'server') !== undefined ? compilePolicy(own(options, 'server'), `${path}.server`, 'server') : undefined;
  const rules = own(options, 'rules') !== undefined ? compileRules(own(options, 'rules'), `${path}.rules`) : [];
  const entry = makeInstalled(client, server, filter as SocketFilter | undefined, rules);
  if (!HAS_CONNECTION_ATTEMPT && (entry.client || entry.rules.some((r) => r.client))) {
    throw notApplicable(`${path}.client on Node ${process.version}`, "client options go on before the SYN at Node's 'connectionAttempt', which Node emits from 20.12 and 21.6 on; upgrade Node");
  }
  // Bun and Deno: a client policy goes on at 'connect' (no hook before the SYN there);
  // options that would not act then are refused here, before anything is subscribed.
  if (entry.client) refuseBeforeSynOptions(entry.client.prepared.map((p) => p.name), `${path}.client`);
  entry.rules.forEach((r, i) => {
    if (r.client) refuseBeforeSynOptions(r.client.prepared.map((p) => p.name), `${path}.rules[${i}].client`);
  });
  return entry;
}

/**
 * Process-wide policy: every socket this process connects (`client`) or accepts
 * (`server`) from now on gets the policy's options, through Node's socket channels, so
 * sockets created inside fetch, http.Agent, database and RPC clients are reached without
 * their cooperation. Returns `off()`, which removes exactly this policy for later sockets.
 *
 * Stacked policies (a library's and the app's) merge option by option, a later one
 * overriding an earlier one; each filter is asked for its own policy. What a socket's
 * app sets itself (arm(), connect({ sockopts }), its own 'connection' handler) and an
 * agent's policy outrank process policies. An option that cannot apply to a socket is
 * skipped and counted (policyStats()), never a reason to kill the connection. A bad
 * policy throws here, before anything is subscribed. Costs nothing until called.
 */
export function tuneSockets(options: TuneSocketsOptions): () => void {
  return install(compileTuneOptions(options, 'options'));
}

/**
 * `tuneSockets` from a SOCKOPT text already parsed (sockopt/register's, read once with its
 * explainErrors key taken out: policy/sockopt-env.ts). Every error is coded and its message
 * starts with `name`, e.g. "SOCKOPT.client.sockopts.TCP_SYNCNT: The value of "value" is out of range…".
 */
export function tuneSocketsFromParsed(config: unknown, name: string): () => void {
  return install(compileTuneOptions(config, name, true));
}

/** The error of a policy text that is not JSON. */
export function invalidJson(json: string, name: string, err: Error): Error {
  return invalidArgValue(name, `not valid JSON (${err.message}); received ${JSON.stringify(json.slice(0, 200))}`);
}
