// Per value kind: how to check a JS value before the syscall, and which native
// function reads or writes it. Built once per option at load time, so a call
// costs one table lookup and the native call (plus a closure for the struct kinds).
import { isUtf8 } from 'node:buffer';
import { binding } from './binding';
import { invalidArgValue, invalidValueType, outOfRange } from './errors';
import type { Kind, OptionSpec } from './registry';
import { readTcpInfo } from './tcp-info';

export type Getter = (fd: number) => unknown;
export type Setter = (fd: number, value: unknown) => void;
/** Throws a TypeError/RangeError for a value the option cannot take; returns the native form. */
export type Checker = (value: unknown) => unknown;

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
const U32_MAX = 2 ** 32 - 1;
const MAX_TIMEOUT_MS = I32_MAX * 1000;

// Errors name the option (`The value of "TCP_KEEPCNT" is out of range…`), not just "value".
function checkInteger(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number') throw invalidValueType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw outOfRange(name, `an integer >= ${min} and <= ${max}`, value);
  }
  return value;
}

function nullableNonNegative(name: string, value: unknown, integer: boolean, max: number): number | null {
  if (value === null) return null;
  if (typeof value !== 'number') throw invalidValueType(name, 'of type number or null', value);
  if (!(value >= 0 && value <= max) || (integer && !Number.isInteger(value))) {
    throw outOfRange(name, `${integer ? 'an integer' : 'a number'} >= 0 and <= ${max}, or null`, value);
  }
  return value;
}

export function checker(kind: Kind, spec: OptionSpec, name: string): Checker {
  switch (kind) {
    case 'int': {
      const min = spec.min ?? I32_MIN;
      const max = spec.max ?? I32_MAX;
      return (v) => checkInteger(name, v, min, max);
    }
    case 'uint': {
      const min = spec.min ?? 0;
      const max = spec.max ?? U32_MAX;
      return (v) => checkInteger(name, v, min, max) | 0; // the kernel reads the same 32 bits as a C int
    }
    case 'bool':
      return (v) => {
        if (typeof v !== 'boolean') throw invalidValueType(name, 'of type boolean', v);
        return v ? 1 : 0;
      };
    case 'timeval':
      return (v) => nullableNonNegative(name, v, false, MAX_TIMEOUT_MS);
    case 'linger':
      return (v) => nullableNonNegative(name, v, true, I32_MAX);
    case 'string': {
      const max = spec.max ?? 255;
      return (v) => {
        if (typeof v !== 'string') throw invalidValueType(name, 'of type string', v);
        if (v.includes('\0')) throw outOfRange(name, 'a string without NUL characters', v);
        const bytes = Buffer.byteLength(v);
        if (bytes > max) throw outOfRange(name, `at most ${max} bytes long`, v);
        return v;
      };
    }
    case 'ifname': {
      const max = spec.max ?? 15;
      const text = checker('string', spec, name);
      return (v) => {
        if (!(v instanceof Uint8Array)) {
          if (typeof v !== 'string') throw invalidValueType(name, 'of type string, or a Buffer of the name\'s bytes', v);
          return text(v);
        }
        // A view on a transferred ArrayBuffer reads as empty (which would unbind): refused.
        if (isDetached(v)) throw invalidArgValue(name, 'a view on a detached ArrayBuffer (it was transferred)');
        if (v.includes(0)) throw outOfRange(name, 'a name without NUL bytes', v);
        if (v.length > max) throw outOfRange(name, `at most ${max} bytes long`, v);
        return Buffer.from(v); // a copy: the caller may change theirs before the syscall
      };
    }
    case 'u64':
    case 'tcp_info':
    case 'ucred':
      throw new Error(`sockopt: ${kind} options are read-only`); // guards the registry at load time
  }
}

// The TypedArray method, not Buffer's own includes (which reads a detached Buffer as
// empty): it throws on a detached buffer. Node 20 has no ArrayBuffer#detached.
const typedIncludes = Uint8Array.prototype.includes;
function isDetached(v: Uint8Array): boolean {
  try {
    typedIncludes.call(v, 0);
    return false;
  } catch {
    return true;
  }
}

// IFNAMSIZ (16) with room to spare; the kernel returns the name and its NUL.
const IFNAME_READ = 64;

// Interface names are bytes to Linux (anything but NUL, '/', ':' and whitespace): UTF-8
// ones read as strings, any other as a Buffer of exactly those bytes, so nothing is lost.
function readIfname(fd: number, level: number, optname: number): string | Buffer {
  // Read into a slice of Node's Buffer pool (getInto), not a new native backing store per
  // call, which grew RSS under many snapshots (test/abuse/leaks.test.ts guards it).
  const buf = Buffer.allocUnsafe(IFNAME_READ);
  return ifnameFromBytes(buf.subarray(0, binding.getInto(fd, level, optname, buf)));
}

/** An interface name as the kernel wrote it (NUL-terminated): a string when UTF-8, else a copy of its bytes. */
export function ifnameFromBytes(raw: Buffer): string | Buffer {
  const end = raw.indexOf(0);
  const bytes = end < 0 ? raw : raw.subarray(0, end);
  return isUtf8(bytes) ? bytes.toString('utf8') : Buffer.from(bytes);
}

/** The kinds read and written through the native int table (core/options.ts): int, unsigned, boolean. */
export type IntKind = 'int' | 'uint' | 'bool';
/** The native int table's kind numbers (native/kinds.h), by registry kind. */
export const INT_KINDS: Readonly<Partial<Record<Kind, number>>> = binding.kinds.int;

/** The getter of a kind that is not an int kind (those go through the int table). */
export function getter(kind: Exclude<Kind, IntKind>, level: number, optname: number): Getter {
  switch (kind) {
    case 'timeval':
      return (fd) => binding.getTimeval(fd, level, optname);
    case 'linger':
      return (fd) => binding.getLinger(fd, level, optname);
    case 'string':
      return (fd) => binding.getString(fd, level, optname);
    case 'ifname':
      return (fd) => readIfname(fd, level, optname);
    case 'u64':
      return (fd) => binding.getU64(fd, level, optname);
    case 'tcp_info':
      return (fd) => readTcpInfo(fd, false);
    case 'ucred':
      return (fd) => binding.getPeerCred!(fd);
  }
}

/** The setter of a kind that is not an int kind; takes the value already returned by the option's checker. */
export function setter(kind: Exclude<Kind, IntKind>, level: number, optname: number): Setter {
  switch (kind) {
    case 'timeval':
      return (fd, v) => binding.setTimeval(fd, level, optname, v as number | null);
    case 'linger':
      return (fd, v) => binding.setLinger(fd, level, optname, v as number | null);
    case 'string':
      return (fd, v) => binding.setString(fd, level, optname, v as string);
    case 'ifname':
      return (fd, v) => (typeof v === 'string' ? binding.setString(fd, level, optname, v) : binding.setBuffer(fd, level, optname, v as Buffer));
    case 'u64':
    case 'tcp_info':
    case 'ucred':
      throw new Error(`sockopt: ${kind} options are read-only`); // guards the registry at load time
  }
}
