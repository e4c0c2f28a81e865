// The process-wide policy: every socket this process connects or accepts gets a
// Policy's options, through Node's socket channels (node/channels.ts), so sockets made
// inside fetch, http.Agent, database and RPC clients are reached without their code.
import { invalidArgType, invalidArgValue } from '../kernel/errors';
import { compilePolicy, unknownField, type CompiledPolicy, type Policy } from '../core/policy';
import { onSocket } from '../node/channels';
import { tuneAccepted, tuneClient, type SocketFilter, type Tuning } from '../birth/tune';

/** The argument of `tuneSockets` (and, without `filter`, the JSON in the SOCKOPT environment variable). */
export interface TuneSocketsOptions {
  /** For sockets this process connects: net/tls connect, fetch/undici, http(s).Agent, database and RPC clients. */
  client?: Policy;
  /** For sockets this process accepts. */
  server?: Policy;
  /** Return false to leave a socket untouched. A filter that throws destroys that socket with its error. */
  filter?: SocketFilter;
}

const TUNE_FIELDS = new Set(['client', 'server', 'filter']);

/** Checks a `tuneSockets` argument; `path` prefixes error messages (e.g. 'SOCKOPT'). */
export function compileTuneOptions(options: unknown, path: string): { client?: CompiledPolicy; server?: CompiledPolicy; filter?: TuneSocketsOptions['filter'] } {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidArgType(path, 'an object { client, server, filter }', options);
  for (const field of Object.keys(options)) if (!TUNE_FIELDS.has(field)) unknownField(path, field, TUNE_FIELDS);
  const { client, server, filter } = options as TuneSocketsOptions;
  if (filter !== undefined && typeof filter !== 'function') throw invalidArgType(`${path}.filter`, 'of type function', filter);
  return {
    ...(client !== undefined ? { client: compilePolicy(client, `${path}.client`) } : {}),
    ...(server !== undefined ? { server: compilePolicy(server, `${path}.server`) } : {}),
    ...(filter ? { filter } : {}),
  };
}

/**
 * Process-wide policy: every socket this process connects (`client`) or accepts
 * (`server`) from now on gets the policy's options, through Node's
 * `net.client.socket` / `net.server.socket` diagnostics channels, so sockets created
 * inside fetch, http.Agent, database and RPC clients are reached without their
 * cooperation. Returns `off()`, which stops it for later sockets.
 *
 * A bad policy throws here, before anything is subscribed. A kernel refusal on one
 * socket (say `SO_MARK` without CAP_NET_ADMIN) destroys that socket with the error.
 * Costs nothing until called: no subscription exists without a policy.
 */
export function tuneSockets(options: TuneSocketsOptions): () => void {
  return install(compileTuneOptions(options, 'options'));
}

function install(options: ReturnType<typeof compileTuneOptions>): () => void {
  // A direction whose policy sets nothing is not subscribed at all: it would only cost.
  const client = options.client?.prepared.length ? options.client : undefined;
  const server = options.server?.prepared.length ? options.server : undefined;
  const filter = options.filter;
  if (!client && !server) return () => {};
  const clientTuning: Tuning | undefined = client && { direction: 'client', compiled: client, filter };
  const serverTuning: Tuning | undefined = server && { direction: 'server', compiled: server, filter };
  return onSocket(
    (socket, direction) => {
      if (direction === 'server') tuneAccepted(socket, serverTuning!);
      else tuneClient(socket, clientTuning!);
    },
    { client: !!client, server: !!server },
  );
}

/**
 * `tuneSockets` from JSON text (the SOCKOPT environment variable of `sockopt/register`).
 * Every error is coded and its message starts with `name`, e.g.
 * "SOCKOPT.client.sockopts.TCP_SYNCNT: The value of "value" is out of range…".
 */
export function tuneSocketsFromJson(json: string, name: string): () => void {
  let config: unknown;
  try {
    config = JSON.parse(json);
  } catch (err) {
    throw invalidArgValue(name, `not valid JSON (${(err as Error).message}); received ${JSON.stringify(json.slice(0, 200))}`);
  }
  return install(compileTuneOptions(config, name));
}
