// Per-destination rules: { match: { port } | { host } | { cidr }, client?, server? }.
// A rule's policy applies to a socket whose peer matches (client: the remote port, the
// host name asked for or its address, the address in a CIDR block; server: the local port
// the connection arrived on, the peer address). The first matching rule wins, and its
// policy overrides the default policy of the same tuneSockets() call option by option.
import { BlockList, isIP } from 'node:net';
import { invalidArgType, invalidArgValue, refuseUnknownKeys } from '../kernel/errors';
import { compilePolicy, type CompiledPolicy, type Policy } from '../core/policy';

/** What a rule matches; exactly one key. */
export type RuleMatch = { port: number } | { host: string } | { cidr: string };

/** One rule: a match and the policies for matching sockets. */
export interface Rule {
  match: RuleMatch;
  client?: Policy;
  server?: Policy;
}

/** A checked rule. */
export interface CompiledRule {
  readonly client?: CompiledPolicy;
  readonly server?: CompiledPolicy;
  readonly matches: (host: string | undefined, address: string, port: number) => boolean;
  /** The rule needs the host name the app asked for (client). */
  readonly byHost: boolean;
  /** The rule looks at the port only (server: the local port, the same for a whole listener). */
  readonly byPort: boolean;
}

const RULE_FIELDS = new Set(['match', 'client', 'server']);
const MATCH_FIELDS = new Set(['port', 'host', 'cidr']);

export function compileRules(rules: unknown, path: string): CompiledRule[] {
  if (!Array.isArray(rules)) throw invalidArgType(path, 'an array of { match, client, server }', rules);
  return rules.map((rule, i) => compileRule(rule, `${path}[${i}]`));
}

function compileRule(rule: unknown, path: string): CompiledRule {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) throw invalidArgType(path, 'an object { match, client, server }', rule);
  refuseUnknownKeys(rule, RULE_FIELDS, path);
  const r = rule as Rule;
  const own = (k: string): unknown => (Object.prototype.hasOwnProperty.call(r, k) ? (r as unknown as Record<string, unknown>)[k] : undefined);
  const client = own('client') !== undefined ? compilePolicy(own('client'), `${path}.client`, 'client') : undefined;
  const server = own('server') !== undefined ? compilePolicy(own('server'), `${path}.server`, 'server') : undefined;
  if (!client && !server) throw invalidArgValue(path, 'a rule without a client or server policy, which would do nothing: give it client, server or both');
  const match = own('match');
  if (match === null || typeof match !== 'object' || Array.isArray(match)) throw invalidArgType(`${path}.match`, 'an object { port } | { host } | { cidr }', match);
  const keys = Object.keys(match);
  refuseUnknownKeys(match, MATCH_FIELDS, `${path}.match`);
  if (keys.length !== 1) throw invalidArgValue(`${path}.match`, `exactly one of port, host, cidr (received ${keys.length})`);
  const [key] = keys as ['port' | 'host' | 'cidr'];
  const value = (match as Record<string, unknown>)[key];
  return { ...(client ? { client } : {}), ...(server ? { server } : {}), ...matcher(key, value, `${path}.match.${key}`) };
}

function matcher(key: 'port' | 'host' | 'cidr', value: unknown, path: string): Pick<CompiledRule, 'matches' | 'byHost' | 'byPort'> {
  if (key === 'port') {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) throw invalidArgValue(path, `a port number 1–65535; received ${JSON.stringify(value)}`);
    return { matches: (_h, _a, port) => port === value, byHost: false, byPort: true };
  }
  if (key === 'host') {
    if (typeof value !== 'string' || value === '') throw invalidArgType(path, 'a non-empty string (a host name or address)', value);
    const want = value.toLowerCase();
    return { matches: (host, address) => host?.toLowerCase() === want || address === want, byHost: true, byPort: false };
  }
  if (typeof value !== 'string') throw invalidArgType(path, "a string such as '10.0.0.0/8' or 'fd00::/8'", value);
  const slash = value.lastIndexOf('/');
  const base = slash > 0 ? value.slice(0, slash) : '';
  const bits = slash > 0 ? Number(value.slice(slash + 1)) : NaN;
  const family = isIP(base);
  if (family === 0 || !Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128) || !/^\d+$/.test(value.slice(slash + 1))) {
    throw invalidArgValue(path, `a CIDR block such as '10.0.0.0/8' or 'fd00::/8'; received ${JSON.stringify(value)}`);
  }
  const list = new BlockList();
  list.addSubnet(base, bits, family === 4 ? 'ipv4' : 'ipv6');
  const type = family === 4 ? 'ipv4' : 'ipv6';
  return {
    matches: (_h, address) => {
      const f = isIP(address);
      if (f === 0) return false;
      // An IPv4-mapped IPv6 peer (a dual-stack listener) matches an IPv4 block.
      if (f === 6 && type === 'ipv4' && address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4) return list.check(address.slice(7), 'ipv4');
      return f === family && list.check(address, type);
    },
    byHost: false,
    byPort: false,
  };
}
