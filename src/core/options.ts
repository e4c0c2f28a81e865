// The registry resolved against this platform's compiled constants, once, at
// load time: name → level and option numbers, support, and the codec closures.
import { binding } from '../kernel/binding';
import { checker, getter, INT_KINDS, setter, type Checker, type Getter, type IntKind, type Setter } from '../kernel/codecs';
import { nodeStateWriter, type StateWriter } from '../node/socket-state';
import { hasTcpInfo } from '../kernel/tcp-info';
import { registry, type Kind, type OptionName, type OptionSpec, type Platform } from '../kernel/registry';

/** A registry entry as exposed to users: the spec plus what this platform compiled. */
export interface OptionInfo extends OptionSpec {
  readonly name: OptionName;
  /** True when this platform's headers define the option (and its level). */
  readonly supported: boolean;
  /** The level number on this platform, when supported. */
  readonly levelNumber?: number;
  /** The option number on this platform, when supported. */
  readonly optname?: number;
  readonly readable: boolean;
  readonly writable: boolean;
}

/** Internal: what a call needs, prepared once. */
export interface Resolved {
  readonly info: OptionInfo;
  readonly get?: Getter;
  readonly check?: Checker;
  readonly set?: Setter;
  /** After a set: keeps Node's cached copy (noDelay, keepAlive…) in step, for the options Node caches. */
  readonly sync?: StateWriter;
  /** The level and option numbers on this platform (-1 when unsupported), beside info's for the batch's loop. */
  readonly levelNumber: number;
  readonly optname: number;
  /** The option's entry in the native int table (intGet/intSet), or -1 for the other kinds. */
  readonly id: number;
  /** How the native batch (setMany) takes the value: BATCH_KIND of its kind. */
  readonly batchKind: number;
}

/**
 * The native batch's value kind of each registry kind (numbers from native/kinds.h): the
 * number travels in a Float64Array, NaN standing for null (timeout or linger off); a
 * string travels as its index. -1: not settable in a batch.
 */
const B = binding.kinds.batch;
export const BATCH_KIND: Record<Kind, number> = { int: B.int, uint: B.int, bool: B.int, timeval: B.timeval, linger: B.linger, string: B.string, ifname: B.string, u64: -1, tcp_info: -1, ucred: -1 };

// int, uint and bool options, every one behind the same two native functions (see
// binding.bindTable): entries [level, optname, kind] appended as the table is resolved.
const intEntries: number[] = [];

const { constants } = binding;

function resolve(name: OptionName, spec: OptionSpec): Resolved {
  const constName = spec.constant?.[process.platform as Platform] ?? name;
  const levelNumber = constants[spec.level];
  const optname = constants[constName];
  // Struct kinds also need their native decoder, which only some platforms build.
  const decoder = spec.kind === 'tcp_info' ? hasTcpInfo || undefined : spec.kind === 'ucred' ? binding.getPeerCred : true;
  const supported = levelNumber !== undefined && optname !== undefined && decoder !== undefined;
  const readable = spec.access !== 'w';
  const writable = spec.access !== 'r';
  const info: OptionInfo = Object.freeze({
    name,
    ...spec,
    supported,
    ...(supported ? { levelNumber, optname } : {}),
    readable,
    writable,
  });
  const intKind = INT_KINDS[spec.kind];
  const id = supported && intKind !== undefined ? intEntries.push(levelNumber, optname, intKind) / 3 - 1 : -1;
  const other = spec.kind as Exclude<Kind, IntKind>;
  // Every entry has the same fields in the same order (undefined where absent), so the
  // loads on the hot path (r.get, r.set, r.check, r.sync) see one object shape whatever
  // the option: a monomorphic inline cache, not a polymorphic one.
  return {
    info,
    get: supported && readable ? (id >= 0 ? (fd: number) => intGet(fd, id) : getter(other, levelNumber, optname)) : undefined,
    check: supported && writable ? checker(spec.kind, spec, name) : undefined,
    set: supported && writable ? (id >= 0 ? (fd: number, v: unknown) => intSet(fd, id, v as number) : setter(other, levelNumber, optname)) : undefined,
    sync: supported && writable && spec.nodeState ? nodeStateWriter(spec.nodeState, spec.kind === 'bool') : undefined,
    levelNumber: supported ? levelNumber : -1,
    optname: supported ? optname : -1,
    id,
    batchKind: BATCH_KIND[spec.kind],
  };
}

/**
 * name → prepared option. A null-prototype object (`table['toString']` is undefined) in
 * V8's fast mode: built by Object.fromEntries, then its prototype dropped. Filled by
 * assignment or made by Object.create(null), it would be a hash table (dictionary mode),
 * and every call's lookup a hash probe instead of an inline-cached load.
 */
export const table: Readonly<Record<string, Resolved | undefined>> = Object.freeze(
  Object.setPrototypeOf(Object.fromEntries((Object.keys(registry) as OptionName[]).map((name) => [name, resolve(name, registry[name])])), null),
);

/** get(fd, id) and set(fd, id, value) of every int, uint and bool option (Resolved.id). */
export const [intGet, intSet] = binding.bindTable(new Int32Array(intEntries));

/** The typed registry with this platform's numbers: `options.TCP_NODELAY.optname`. */
export const options: { readonly [N in OptionName]: OptionInfo } = Object.freeze(
  Object.fromEntries(Object.entries(table).map(([n, r]) => [n, r!.info])),
) as { readonly [N in OptionName]: OptionInfo };

export const optionNames = Object.freeze(Object.keys(registry)) as readonly OptionName[];

/** Whether this platform defines the option. Unknown names are simply false. */
export function isSupported(name: string): boolean {
  return typeof name === 'string' && table[name]?.info.supported === true;
}

const levelNames = ['SOL_SOCKET', 'IPPROTO_TCP', 'IPPROTO_IP', 'IPPROTO_IPV6', 'IPPROTO_UDP'] as const;

/** Names for the raw numeric forms' error messages (error path only). */
export function describeRaw(level: number, optname: number): { level: string; option: string } {
  const levelName = levelNames.find((l) => constants[l] === level) ?? String(level);
  const match = optionNames.find((n) => options[n].levelNumber === level && options[n].optname === optname);
  return { level: levelName, option: match ?? String(optname) };
}
