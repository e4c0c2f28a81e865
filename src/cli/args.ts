// Argument parsing shared by the commands: node:util parseArgs, plus the few value
// forms of our own (a PID, HOST:PORT, NAME=VALUE). Every mistake is a usage error
// (exit code 2) with a message that says what was expected.
import { isIP } from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { unknownOption, usageError } from '../kernel/errors';
import { optionNames, options } from '../core/options';
import type { Sockopts } from '../core/presocket';
import type { OptionName } from '../kernel/registry';

/** Flags every command takes. */
export const common = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** The parsed flag values: strings, booleans, or string arrays for `multiple`. */
export type ParsedValues<O> = { [K in keyof O]?: O[K] extends { multiple: true } ? string[] : O[K] extends { type: 'boolean' } ? boolean : string };

/**
 * parseArgs in strict mode; its own errors (unknown flag, missing value) become usage
 * errors, and so do a flag with a value given twice and any positional beyond the
 * `maxPositionals` the command takes.
 */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], opts: O, maxPositionals = 1): { values: ParsedValues<O>; positionals: string[] } {
  let parsed: { values: ParsedValues<O>; positionals: string[]; tokens: { kind: string; name?: string; rawName?: string }[] };
  try {
    parsed = parseArgs({ args, options: opts, allowPositionals: true, strict: true, tokens: true }) as typeof parsed;
  } catch (err) {
    throw usageError((err as Error).message.split('\n').join(' ')); // its later lines say what to write instead
  }
  // parseArgs keeps the last of a repeated flag: `--policy A --policy B` would drop A unseen.
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || !t.name || opts[t.name]?.type !== 'string' || opts[t.name]?.multiple) continue;
    if (seen.has(t.name)) throw usageError(`${t.rawName ?? `--${t.name}`} given twice: give it once`);
    seen.add(t.name);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw usageError(`unexpected argument ${shown(parsed.positionals[maxPositionals])} (takes ${maxPositionals === 1 ? 'one' : maxPositionals})`);
  }
  return parsed;
}

/**
 * A command-line word quoted in a message, at most 64 characters of it: an argument may
 * be 128 KiB. Escaping is main()'s, once for every message.
 */
export function shown(text: string): string {
  return text.length <= 64 ? `'${text}'` : `'${text.slice(0, 64)}'… (${text.length - 64} more characters)`;
}

/** A process id: a positive decimal integer. */
export function parsePid(text: string | undefined): number {
  if (text === undefined) throw usageError('missing PID (a process id, e.g. `sockopt inspect 1234`)');
  if (!/^[1-9]\d{0,9}$/.test(text) || Number(text) >= 2 ** 22) throw usageError(`PID must be a positive integer, got '${text}'`);
  return Number(text);
}

/** What connect and doctor say when --timeout ran out during the DNS lookup of `host` (code TIMEOUT). */
export function lookupTimedOut(host: string, timeout: number): { code: 'TIMEOUT'; message: string } {
  return { code: 'TIMEOUT', message: `DNS lookup of ${host} timed out after ${timeout} ms (no answer from the resolver); check the name and the resolver, or raise --timeout` };
}

/** --timeout MS: a whole number of ms within setTimeout's range; `fallback` when not given. */
export function parseTimeout(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  // Decimal digits only: Number() would also take '0x10', '1e3' and ' 5 '.
  const ms = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(ms) || ms < 1 || ms > 2 ** 31 - 1) throw usageError(`--timeout must be a whole number of ms from 1 to 2147483647, got ${shown(text)}`);
  return ms;
}

/** A non-negative integer flag value (--fd). */
export function parseFd(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) > 2 ** 31 - 1) throw usageError(`--fd must be a file descriptor number, got '${text}'`);
  return Number(text);
}

// A DNS name as resolvers take it: dot-separated labels of letters, digits, '-' and '_'
// (not at a label's ends), at most 63 bytes each and 253 in all, an optional final dot.
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}\\.?$)${LABEL}(?:\\.${LABEL})*\\.?$`);

/** HOST:PORT, [IPv6]:PORT or IPv6-literal:PORT; HOST an IP literal or a DNS name, PORT 1-65535. */
export function parseHostPort(text: string | undefined): { host: string; port: number } {
  if (text === undefined) throw usageError('missing HOST:PORT (e.g. `sockopt connect 127.0.0.1:5432`)');
  const bracketed = text.startsWith('[');
  const m = bracketed ? /^\[([^\]]*)\]:(\d{1,5})$/.exec(text) : /^(.*):(\d{1,5})$/.exec(text);
  if (!m) throw usageError(`expected HOST:PORT, got ${shown(text)}`);
  const host = m[1]!;
  const port = Number(m[2]);
  if (/[[\]\s]/.test(host)) throw usageError(`expected HOST:PORT or [IPv6]:PORT, got ${shown(text)}`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw usageError(`port must be 1-65535, got '${m[2]}'`);
  if (bracketed && isIP(host) !== 6) throw usageError(`${shown(`[${host}]`)} is not an IPv6 address`);
  if (host.includes(':') && isIP(host) !== 6) throw usageError(`${shown(host)} is not an IPv6 address (write [addr]:port)`);
  if (!isIP(host) && !HOSTNAME.test(host)) throw usageError(`${shown(host)} is not a host name or IP address`);
  return { host, port };
}

const TRUE = new Set(['true', '1', 'on', 'yes']);
const FALSE = new Set(['false', '0', 'off', 'no']);
const NONE = new Set(['none', 'null', 'off']);

// One --set value by the option's kind; the library then checks ranges as it always does.
function parseValue(name: OptionName, text: string): unknown {
  const { kind, unit } = options[name];
  const bad = (what: string) => usageError(`--set ${name}=${text}: expected ${what}${unit === 'flag' || kind === 'string' ? '' : ` (unit: ${unit})`}`);
  switch (kind) {
    case 'bool':
      if (TRUE.has(text.toLowerCase())) return true;
      if (FALSE.has(text.toLowerCase())) return false;
      throw bad('true or false');
    case 'int':
    case 'uint':
      if (!/^-?(\d+|0x[0-9a-f]+)$/i.test(text)) throw bad('an integer');
      return Number(text.startsWith('-') ? -Number(text.slice(1)) : text);
    case 'timeval':
    case 'linger':
      if (NONE.has(text.toLowerCase())) return null;
      if (!/^\d+(\.\d+)?$/.test(text)) throw bad(`a number or 'none'`);
      return Number(text);
    case 'string':
      return text;
    default:
      return text; // read-only kinds: the library refuses them with ERR_SOCKOPT_READ_ONLY
  }
}

/** `--set NAME=VALUE` flags as sockopts; unknown names get the library's "did you mean". */
export function parseSets(sets: readonly string[] | undefined): Sockopts {
  const out: Record<string, unknown> = {};
  for (const item of sets ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usageError(`--set expects NAME=VALUE, got '${item}'`);
    const name = item.slice(0, eq).trim().toUpperCase();
    if (!(optionNames as readonly string[]).includes(name)) throw unknownOption(name, optionNames);
    // Both values cannot be set: refused, not the first dropped.
    if (Object.hasOwn(out, name)) throw usageError(`--set ${name} given twice; give each option once`);
    out[name] = parseValue(name as OptionName, item.slice(eq + 1).trim());
  }
  return out as Sockopts;
}
