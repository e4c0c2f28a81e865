// The registry resolved against this platform's compiled constants, once, at
// load time: name → level and option numbers, support, and the codec closures.
import { binding } from './binding';
import { checker, getter, setter, type Checker, type Getter, type Setter } from './codecs';
import { nodeStateWriter } from './node-state';
import { hasTcpInfo } from './tcp-info';
import { registry, type NodeStateKey, type OptionName, type OptionSpec, type Platform } from './registry';

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
  readonly sync?: (socket: unknown, native: unknown) => void;
}

const { constants } = binding;

// `| 0`: Node keeps these as small integers; a double read from a Float64Array (the batch)
// stored there would change the field's representation and deoptimize code using sockets.
function stateSync(key: NodeStateKey, bool: boolean): (socket: unknown, native: unknown) => void {
  // Made on first use: node-state.ts is still loading while this module resolves the table.
  let write: ReturnType<typeof nodeStateWriter> | undefined;
  return (socket, native) => (write ??= nodeStateWriter(key))(socket, bool ? native !== 0 : (native as number) | 0);
}

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
  if (!supported) return { info };
  return {
    info,
    ...(readable ? { get: getter(spec.kind, levelNumber, optname) } : {}),
    ...(writable ? { check: checker(spec.kind, spec, name), set: setter(spec.kind, levelNumber, optname) } : {}),
    ...(writable && spec.nodeState ? { sync: stateSync(spec.nodeState, spec.kind === 'bool') } : {}),
  };
}

/** name → prepared option. A null-prototype object: `table['toString']` is undefined. */
export const table: Readonly<Record<string, Resolved | undefined>> = Object.create(null);
for (const name of Object.keys(registry) as OptionName[]) {
  (table as Record<string, Resolved>)[name] = resolve(name, registry[name]);
}
Object.freeze(table);

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
