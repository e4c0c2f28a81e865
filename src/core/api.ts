// getsockopt / setsockopt: by option name (typed, checked, unit-converted) or
// by raw (level, optname) numbers, a superset of the other npm `sockopt`.
import { binding } from '../kernel/binding';
import { fromNative, invalidArgType, outOfRange, readOnly, unknownOption, unsupported, writeOnly } from '../kernel/errors';
import { resolveFd, unwrapSocket, type SocketLike } from '../node/fd';
import { describeRaw, intGet, intSet, optionNames, options, table, type Resolved } from './options';
import type { OptionInput, OptionValue, ReadableOption, WritableOption } from '../kernel/registry';

const MAX_RAW_LENGTH = 1 << 20;

function lookup(name: unknown): Resolved {
  const r = typeof name === 'string' ? table[name] : undefined;
  if (r === undefined) throw unknownOption(name, optionNames);
  if (!r.info.supported) throw unsupported(r.info.name, r.info.platforms);
  return r;
}

function checkInt32(name: string, v: unknown): number {
  if (typeof v !== 'number') throw invalidArgType(name, 'of type number', v);
  if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31 - 1) throw outOfRange(name, 'an integer >= -2^31 and < 2^31', v);
  return v;
}

/**
 * Reads a socket option.
 *
 * - `getsockopt(sock, 'SO_RCVBUF')` → the value typed by the registry (number, boolean,
 *   milliseconds or null, seconds or null, string, bigint).
 * - `getsockopt(sock, level, optname)` → the option read as a C int.
 * - `getsockopt(sock, level, optname, length)` → a Buffer of the length the kernel returned.
 * - `getsockopt(sock, level, optname, buffer)` → reads into your Buffer, TypedArray or
 *   DataView (at most its byteLength) and returns how many bytes the kernel wrote, like
 *   `fs.readSync`: no allocation per call.
 *
 * @throws TypeError `ERR_SOCKOPT_UNKNOWN_OPTION`, `ERR_SOCKOPT_WRITE_ONLY`, `ERR_INVALID_ARG_TYPE`;
 *   Error `ERR_SOCKOPT_UNSUPPORTED`, `ERR_SOCKOPT_NO_FD`, `ERR_SOCKET_CLOSED`, or a kernel
 *   error such as `ENOPROTOOPT` with `errno`, `syscall`, `option` and `level`.
 */
export function getsockopt<N extends ReadableOption>(socket: SocketLike, name: N): OptionValue<N>;
export function getsockopt(socket: SocketLike, level: number, optname: number): number;
export function getsockopt(socket: SocketLike, level: number, optname: number, length: number): Buffer;
export function getsockopt(socket: SocketLike, level: number, optname: number, buffer: ArrayBufferView): number;
export function getsockopt(socket: SocketLike, nameOrLevel: string | number, optname?: number, length?: number | ArrayBufferView): unknown {
  // The common call, kept small so the JIT inlines it into the caller: a known, readable
  // name. Everything else (errors, raw numbers) goes through getOther.
  const r = typeof nameOrLevel === 'string' ? table[nameOrLevel] : undefined;
  if (r?.get === undefined) return getOther(socket, nameOrLevel, optname, length);
  const fd = resolveFd(socket);
  try {
    return r.id >= 0 ? intGet(fd, r.id) : r.get(fd);
  } catch (err) {
    throw fromNative(err, r.info.name, r.info.level);
  }
}

function getOther(socket: SocketLike, nameOrLevel: unknown, optname?: number, length?: number | ArrayBufferView): unknown {
  if (typeof nameOrLevel === 'number') return getRaw(socket, nameOrLevel, optname, length);
  const r = lookup(nameOrLevel);
  throw writeOnly(r.info.name); // lookup throws for unknown or unsupported names; the rest have no getter
}

function getRaw(socket: SocketLike, levelArg: number, optname: unknown, target: unknown): number | Buffer {
  const level = checkInt32('level', levelArg);
  const opt = checkInt32('optname', optname);
  if (typeof target === 'number') {
    checkInt32('length', target);
    if (target < 0 || target > MAX_RAW_LENGTH) throw outOfRange('length', `>= 0 and <= ${MAX_RAW_LENGTH}`, target);
  } else if (target !== undefined && !ArrayBuffer.isView(target)) {
    throw invalidArgType('length', 'a number, or a Buffer, TypedArray or DataView to read into', target);
  }
  const fd = resolveFd(socket);
  try {
    if (target === undefined) return binding.getInt(fd, level, opt);
    if (typeof target !== 'number') return binding.getInto(fd, level, opt, target as ArrayBufferView);
    // A slice of Node's Buffer pool where Buffer.allocUnsafe would use it (no allocation of
    // its own); larger ones zero-filled, so even `.buffer` shows no stale memory. Either
    // way the result is only the bytes the kernel wrote.
    const out = target < Buffer.poolSize >>> 1 ? Buffer.allocUnsafe(target) : Buffer.alloc(target);
    const n = binding.getInto(fd, level, opt, out);
    return n === target ? out : out.subarray(0, n);
  } catch (err) {
    const d = describeRaw(level, opt);
    throw fromNative(err, d.option, d.level);
  }
}

/**
 * Sets a socket option.
 *
 * - `setsockopt(sock, 'SO_RCVTIMEO', 1500)` → value checked against the option's type and range
 *   before any syscall; timeouts in milliseconds (`null` or 0 = none), linger in seconds (`null` = off).
 * - `setsockopt(sock, level, optname, value)` → a number is written as a C int, a Buffer or
 *   TypedArray as raw bytes.
 *
 * Setting `TCP_NODELAY` or `SO_KEEPALIVE` on a `net.Socket` keeps Node's own cached state in step.
 *
 * @throws TypeError `ERR_SOCKOPT_UNKNOWN_OPTION`, `ERR_SOCKOPT_READ_ONLY`, `ERR_INVALID_ARG_TYPE`;
 *   RangeError `ERR_OUT_OF_RANGE`; Error `ERR_SOCKOPT_UNSUPPORTED`, `ERR_SOCKOPT_NO_FD`,
 *   `ERR_SOCKET_CLOSED`, or a kernel error such as `EPERM` with `errno`, `syscall`, `option`, `level`.
 */
export function setsockopt<N extends WritableOption>(socket: SocketLike, name: N, value: OptionInput<N>): void;
export function setsockopt(socket: SocketLike, level: number, optname: number, value: number | ArrayBufferView): void;
export function setsockopt(socket: SocketLike, nameOrLevel: string | number, a: unknown, b?: unknown): void {
  // The common call, kept small (see getsockopt): a known, writable name.
  const r = typeof nameOrLevel === 'string' ? table[nameOrLevel] : undefined;
  if (r?.set === undefined) return setOther(socket, nameOrLevel, a, b);
  const native = r.check!(a);
  const target = unwrapSocket(socket); // a wrapper's socket read once: its fd and its cache are one socket's
  const fd = resolveFd(target);
  try {
    if (r.id >= 0) intSet(fd, r.id, native as number);
    else r.set(fd, native);
  } catch (err) {
    throw fromNative(err, r.info.name, r.info.level, a);
  }
  // The net.Socket behind a request, response or http2 session caches the flag too.
  if (r.sync !== undefined && typeof target === 'object') r.sync(target, native); // an fd number has no Node cache
}

function setOther(socket: SocketLike, nameOrLevel: unknown, a: unknown, b: unknown): void {
  if (typeof nameOrLevel !== 'number') {
    const r = lookup(nameOrLevel);
    throw readOnly(r.info.name); // lookup throws for unknown or unsupported names; the rest have no setter
  }
  const level = checkInt32('level', nameOrLevel);
  const opt = checkInt32('optname', a);
  const isNumber = typeof b === 'number';
  if (isNumber) checkInt32('value', b);
  // The view's length and detachment are checked natively (b.byteLength itself throws an
  // uncoded TypeError on a detached DataView), before any syscall.
  else if (!ArrayBuffer.isView(b)) throw invalidArgType('value', 'a number or a Buffer, TypedArray or DataView', b);
  const target = unwrapSocket(socket);
  const fd = resolveFd(target);
  try {
    if (isNumber) binding.setInt(fd, level, opt, b);
    else binding.setBuffer(fd, level, opt, b as ArrayBufferView);
  } catch (err) {
    const d = describeRaw(level, opt);
    throw fromNative(err, d.option, d.level, b);
  }
  if (isNumber) syncRaw(target, level, opt, b);
  else if ((b as ArrayBufferView).byteLength >= INT_SIZE) syncRaw(target, level, opt, readInt(b as ArrayBufferView));
}

// A raw write of one C int as bytes sets the flag as surely as a number does; of more, the
// kernel takes the first int (an int option reads sizeof(int) bytes of any longer optlen).
const INT_SIZE = binding.sizes.int;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
function readInt(view: ArrayBufferView): number {
  return new DataView(view.buffer, view.byteOffset, INT_SIZE).getInt32(0, LITTLE_ENDIAN);
}

// The raw form can touch the same two flags Node caches.
const rawState = optionNames
  .filter((n) => table[n]?.sync !== undefined)
  .map((n) => ({ level: options[n].levelNumber!, optname: options[n].optname!, write: table[n]!.sync! }));

function syncRaw(socket: SocketLike, level: number, optname: number, value: number): void {
  for (const s of rawState) if (s.level === level && s.optname === optname) s.write(socket, value);
}
