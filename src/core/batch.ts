// setsockopts(sock, { TCP_USER_TIMEOUT: 30_000, TCP_NODELAY: true, … }): several options
// of one socket in one crossing into native code, for tuning each new connection.
// Everything is checked before the first syscall; then the options are set in the
// object's key order, and the first one the kernel refuses stops the batch.
import { binding } from '../kernel/binding';
import { batchFailure, fromNative, invalidArgType, outOfRange, readOnly, unknownOption, unsupported } from '../kernel/errors';
import { resolveFd, unwrapSocket, type SocketLike } from '../node/fd';
import { optionNames, table, type Resolved } from './options';
import type { Sockopts } from './presocket';

const STRING = binding.kinds.batch.string;
const MAX_ENTRIES = binding.kinds.maxBatchEntries;
const MAX_STRINGS = binding.kinds.maxBatchStrings;

// Off-heap (explicit ArrayBuffers), so native code reads them without V8 moving them
// first; reused by one-shot calls so a call allocates no buffers.
const scratchPlan = new Int32Array(new ArrayBuffer(MAX_ENTRIES * 12));
const scratchValues = new Float64Array(new ArrayBuffer(MAX_ENTRIES * 8));
let scratchInUse = false; // a getter on the values object may call setsockopts again

// One-shot calls fill these and the scratch buffers in place (no allocation per call);
// the references to the caller's values are dropped again after each call.
const scratchOptions = new Array<Resolved | undefined>(MAX_ENTRIES).fill(undefined);
const scratchInputs = new Array<unknown>(MAX_ENTRIES).fill(undefined);

/**
 * Checks every entry and fills plan/nums/options/inputs (given, or new ones sized for the
 * object when undefined).
 */
function fill(values: unknown, plan: Int32Array | undefined, nums: Float64Array | undefined, options: (Resolved | undefined)[] | undefined, inputs: unknown[] | undefined) {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw invalidArgType('values', 'an object of option names and values', values);
  }
  const names = Object.keys(values);
  const count = names.length;
  if (count > MAX_ENTRIES) throw outOfRange('values', `an object of at most ${MAX_ENTRIES} options`, count);
  plan ??= new Int32Array(new ArrayBuffer(count * 12));
  nums ??= new Float64Array(new ArrayBuffer(count * 8));
  options ??= new Array<Resolved>(count);
  inputs ??= new Array<unknown>(count);
  let strings: (string | Uint8Array)[] | undefined;
  for (let i = 0; i < count; i++) {
    const name = names[i]!;
    const r = table[name];
    if (r === undefined) throw unknownOption(name, optionNames);
    // Unsupported and read-only options alike have no setter (one load on the common path).
    if (r.set === undefined) throw r.info.supported ? readOnly(name) : unsupported(name, r.info.platforms);
    const input = (values as Record<string, unknown>)[name];
    const native = r.check!(input); // its errors name the option
    const kind = r.batchKind;
    plan[3 * i] = r.levelNumber;
    plan[3 * i + 1] = r.optname;
    plan[3 * i + 2] = kind;
    if (kind === STRING) {
      strings ??= [];
      if (strings.length === MAX_STRINGS) throw outOfRange('values', `an object with at most ${MAX_STRINGS} string options`, name);
      nums[i] = strings.push(native as string | Uint8Array) - 1; // an interface name may be a Buffer of its bytes
    } else {
      nums[i] = native === null ? NaN : (native as number);
    }
    options[i] = r;
    inputs[i] = input;
  }
  return { count, strings, plan, nums, options, inputs };
}

/**
 * Sets several options on one socket in one native call:
 * `setsockopts(sock, { TCP_USER_TIMEOUT: 30_000, TCP_NODELAY: true, SO_KEEPALIVE: true, TCP_KEEPIDLE: 10 })`.
 *
 * - Every name and value is checked before the first syscall, with the errors
 *   {@link setsockopt} throws (naming the option); a bad one anywhere throws and
 *   nothing is set.
 * - The options are then set in the object's key order. The first one the kernel
 *   refuses stops the batch: its error is thrown (`code`, `errno`, `syscall`, `option`,
 *   `level`, as from setsockopt) with `applied` (the names set before it, which stay
 *   set: there is no rollback) and `notApplied` (the refused one and those after it,
 *   untouched).
 * - Node's cached noDelay/keepAlive state follows every option that was set.
 */
export function setsockopts(socket: SocketLike, values: Sockopts): void {
  if (scratchInUse) {
    const p = fill(values, undefined, undefined, undefined, undefined);
    return apply(socket, p.count, p.plan, p.nums, p.strings, p.options as readonly Resolved[], p.inputs);
  }
  scratchInUse = true;
  let count = 0;
  try {
    const filled = fill(values, scratchPlan, scratchValues, scratchOptions, scratchInputs);
    count = filled.count;
    apply(socket, count, scratchPlan, scratchValues, filled.strings, scratchOptions as readonly Resolved[], scratchInputs);
  } finally {
    scratchInUse = false;
    // A throw while filling leaves some entries set: clear them all up to the object's size.
    for (let i = 0; i < MAX_ENTRIES && (i < count || scratchOptions[i] !== undefined); i++) {
      scratchOptions[i] = undefined;
      scratchInputs[i] = undefined;
    }
  }
}

function apply(given: SocketLike, count: number, plan: Int32Array, nums: Float64Array, strings: (string | Uint8Array)[] | undefined, options: readonly Resolved[], inputs: readonly unknown[]): void {
  // Last before the syscalls, after every getter and check: no user code runs between
  // finding the fd and using it, so a socket destroyed meanwhile is never touched. A
  // wrapper's socket is read once: the fd and Node's cached flags are one socket's.
  const socket = unwrapSocket(given);
  const fd = resolveFd(socket);
  if (count === 0) return;
  try {
    binding.setMany(fd, count, plan, nums, strings);
  } catch (err) {
    const i = (err as { index?: unknown }).index;
    if (typeof i !== 'number') throw err; // refused before any syscall: nothing was set
    sync(socket, options, nums, i);
    const names = options.slice(0, count).map((r) => r.info.name);
    const o = options[i]!.info;
    throw batchFailure(fromNative(err, o.name, o.level, inputs[i]), names.slice(0, i), names.slice(i));
  }
  sync(socket, options, nums, count);
}

// Node's cached copies follow what was set; the native value (0/1 for booleans) is in p.values.
function sync(socket: unknown, options: readonly Resolved[], nums: Float64Array, upTo: number): void {
  if (typeof socket !== 'object') return; // an fd number has no Node cache
  for (let i = 0; i < upTo; i++) options[i]!.sync?.(socket, nums[i]); // the writer finds the net.Socket behind a request or session
}

type PreparedEntry = { readonly name: string; readonly value: unknown; readonly native: unknown };

/**
 * Builds the native arguments of a list that will be set on many sockets (a policy's) once,
 * up front. Prepared lists are never changed once made (presocket.ts). Only long-lived
 * lists belong here: each entry of this WeakMap costs the GC work an ephemeron does.
 */
export function precompile(prepared: readonly PreparedEntry[]): void {
  if (prepared.length > 0 && !compiled.has(prepared)) compiled.set(prepared, compile(prepared));
}

/** Precompiled lists' native arguments. */
const compiled = new WeakMap<readonly PreparedEntry[], { plan: Int32Array; nums: Float64Array; strings: (string | Uint8Array)[] | undefined }>();

function compile(prepared: readonly PreparedEntry[]): { plan: Int32Array; nums: Float64Array; strings: (string | Uint8Array)[] | undefined } {
  const count = prepared.length;
  if (count > MAX_ENTRIES) throw outOfRange('sockopts', `at most ${MAX_ENTRIES} options`, count);
  const plan = new Int32Array(new ArrayBuffer(count * 12));
  const nums = new Float64Array(new ArrayBuffer(count * 8));
  let strings: (string | Uint8Array)[] | undefined;
  for (let i = 0; i < count; i++) {
    const p = prepared[i]!;
    const r = table[p.name]!;
    const kind = r.batchKind;
    plan[3 * i] = r.levelNumber;
    plan[3 * i + 1] = r.optname;
    plan[3 * i + 2] = kind;
    if (kind === STRING) nums[i] = (strings ??= []).push(p.native as string | Uint8Array) - 1;
    else nums[i] = p.native === null ? NaN : (p.native as number);
  }
  return { plan, nums, strings };
}

/**
 * Sets options already checked by presocket's prepare() (a policy's, an armed socket's)
 * on an fd in one native call. The fd must come straight from the caller, with no user
 * code run since it was found. Throws like setsockopts (the refused option named, with
 * `applied`/`notApplied`); Node's cached state is the caller's to sync (syncAdopted).
 */
export function setPrepared(fd: number, prepared: readonly PreparedEntry[]): void {
  const count = prepared.length;
  if (count === 0) return;
  // A policy's list (precompiled) has its native arguments built once; any other list
  // (an arm() or connect() call's) is built for this call and not remembered.
  const { plan, nums, strings } = compiled.get(prepared) ?? compile(prepared);
  try {
    binding.setMany(fd, count, plan, nums, strings);
  } catch (err) {
    const i = (err as { index?: unknown }).index;
    if (typeof i !== 'number') throw err;
    const names = prepared.map((p) => p.name);
    throw batchFailure(fromNative(err, prepared[i]!.name, table[prepared[i]!.name]!.info.level, prepared[i]!.value), names.slice(0, i), names.slice(i));
  }
}

