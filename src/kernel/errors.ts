// The one place that builds the errors users see. Codes follow Node's own
// (ERR_INVALID_ARG_TYPE, ERR_OUT_OF_RANGE, ERR_SOCKET_CLOSED, system errors),
// plus ERR_SOCKOPT_* for what only this library can say.
import { getSystemErrorMap, inspect } from 'node:util';
import { escapeText } from './text';

/** Every `code` this library throws itself (kernel refusals carry the errno name instead, e.g. 'ENOPROTOOPT'). */
export type SockoptErrorCode =
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_OUT_OF_RANGE'
  | 'ERR_SOCKOPT_UNKNOWN_OPTION'
  | 'ERR_SOCKOPT_READ_ONLY'
  | 'ERR_SOCKOPT_WRITE_ONLY'
  | 'ERR_SOCKOPT_UNSUPPORTED'
  | 'ERR_SOCKOPT_NO_FD'
  | 'ERR_SOCKET_CLOSED'
  | 'ERR_SOCKOPT_NOT_APPLICABLE'
  | 'ERR_SOCKOPT_USAGE'
  | 'ERR_SOCKOPT_RUNTIME';

/** An Error with a Node-style `code`. */
export interface CodedError extends Error {
  code: string;
}

/** A kernel refusal, shaped like Node's system errors plus the option it concerned. */
export interface SockoptSystemError extends CodedError {
  /** errno name, e.g. 'ENOPROTOOPT', 'EPERM', 'EINVAL'. */
  code: string;
  /** Negative errno, as in Node's own system errors. */
  errno: number;
  syscall: 'getsockopt' | 'setsockopt';
  /** The option's name, e.g. 'TCP_CONGESTION', or its number for the raw forms. */
  option: string;
  /** The level's name, e.g. 'IPPROTO_TCP', or its number for the raw forms. */
  level: string;
}

function coded<E extends Error>(err: E, code: string): E & CodedError {
  Object.defineProperty(err, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  return err as E & CodedError;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `an instance of ${name}` : inspect(value, { depth: -1 });
  }
  return `type ${typeof value} (${inspect(value, { maxStringLength: 25 })})`;
}

// A value quoted in a message: bounded, so a megabyte string makes a short message.
export function quote(value: unknown): string {
  try {
    return inspect(value, { maxStringLength: 64, maxArrayLength: 16, breakLength: Infinity, depth: 1 });
  } catch {
    return describe(value); // util.inspect itself throws on some values (a detached DataView)
  }
}

/**
 * A caller's object key inside a property path ('SOCKOPT.client.sockopts.KEY'): bounded as
 * quote() is, and escaped (controls, bidi, backslash), since a key may come from an
 * environment variable and a message may reach a terminal unfiltered (sockopt/register's).
 */
export function pathKey(key: string): string {
  return escapeText(key.length <= 64 ? key : `${key.slice(0, 64)}… (${key.length - 64} more characters)`);
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError & CodedError {
  return coded(new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** A value of the right type that cannot be used as given (Node's ERR_INVALID_ARG_VALUE); `reason` completes "The property 'x' is …". */
export function invalidArgValue(name: string, reason: string): TypeError & CodedError {
  return coded(new TypeError(`The property '${name}' is ${reason}.`), 'ERR_INVALID_ARG_VALUE');
}

export function outOfRange(name: string, range: string, actual: unknown): RangeError & CodedError {
  return coded(
    new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${quote(actual)}`),
    'ERR_OUT_OF_RANGE',
  );
}

/** A value of the wrong type for a named option: `The value of "TCP_NODELAY" must be of type boolean…`. */
export function invalidValueType(option: string, expected: string, actual: unknown): TypeError & CodedError {
  return coded(new TypeError(`The value of "${option}" must be ${expected}. Received ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

/** A property an options object does not have (a typo such as `{ idel: 1000 }`): refused, never ignored. */
/**
 * The one check for keys a call does not take (a typo such as `deadPeerTimout` or
 * `{ idel }` must not silently leave a default in place): the first unknown own key
 * throws {@link unknownProperty}, with a "did you mean".
 */
export function refuseUnknownKeys(value: object, known: readonly string[] | ReadonlySet<string>, path: string): void {
  const list = Array.isArray(known) ? (known as readonly string[]) : [...known];
  for (const key of Object.keys(value)) {
    if (!list.includes(key)) throw unknownProperty(path, key, (value as Record<string, unknown>)[key], list);
  }
}

export function unknownProperty(name: string, key: string, value: unknown, known: readonly string[]): TypeError & CodedError {
  const hint = suggest(key, known);
  return coded(
    new TypeError(
      `The property '${name}.${quote(key).slice(1, -1)}' is not one this call knows${hint ? ` (did you mean '${hint}'?)` : ''}; ` +
        `it takes ${known.join(', ')}. Received ${quote(value)}`,
    ),
    'ERR_INVALID_ARG_VALUE',
  );
}

export function unknownOption(name: unknown, known: readonly string[]): TypeError & CodedError {
  const hint = typeof name === 'string' ? suggest(name, known) : undefined;
  return coded(
    new TypeError(
      `Unknown socket option ${quote(name)}.${hint ? ` Did you mean '${hint}'?` : ''} ` +
        'See `options` for the names this library knows, or pass (level, optname) numbers for the raw form.',
    ),
    'ERR_SOCKOPT_UNKNOWN_OPTION',
  );
}

export function readOnly(name: string): TypeError & CodedError {
  return coded(new TypeError(`Socket option ${name} is read-only: it can be read with getsockopt but not set.`), 'ERR_SOCKOPT_READ_ONLY');
}

export function writeOnly(name: string): TypeError & CodedError {
  return coded(new TypeError(`Socket option ${name} is write-only: it can be set with setsockopt but not read.`), 'ERR_SOCKOPT_WRITE_ONLY');
}

export function unsupported(name: string, platforms: readonly string[]): Error & CodedError {
  return coded(
    new Error(
      `Socket option ${name} is not supported on ${process.platform}: this platform's headers do not define it ` +
        `(available on: ${platforms.join(', ') || 'none'}). Check isSupported('${name}') first.`,
    ),
    'ERR_SOCKOPT_UNSUPPORTED',
  );
}

/** The socket exists but has no file descriptor yet; `waitFor` says which event to wait for. */
export function noFd(what: string, waitFor: string): Error & CodedError {
  return coded(new Error(`The ${what} has no file descriptor yet: ${waitFor}.`), 'ERR_SOCKOPT_NO_FD');
}

export function socketClosed(what: string): Error & CodedError {
  return coded(
    new Error(`The ${what} is closed or destroyed; its file descriptor may already belong to another socket, so it was not touched.`),
    'ERR_SOCKET_CLOSED',
  );
}

/** A net.Socket whose handle was sent to another process: Node closed it here. */
export function socketSentAway(): Error & CodedError {
  return coded(
    new Error(
      'The socket was sent to another process (child.send(message, socket)), which owns the connection now; ' +
        'Node closed it in this process, so its old file descriptor number was not touched.',
    ),
    'ERR_SOCKET_CLOSED',
  );
}

/**
 * Turns the native layer's system error (code, errno, syscall) into the public one,
 * naming the option and level. Anything else (a bug) is rethrown unchanged.
 */
export function fromNative(err: unknown, option: string, level: string, value?: unknown): unknown {
  const e = err as Partial<SockoptSystemError> | null;
  if (!(err instanceof Error) || typeof e?.errno !== 'number' || typeof e.syscall !== 'string') return err;
  const what = value === undefined ? `${level} ${option}` : `${level} ${option} = ${quote(value)}`;
  err.message = `${err.message} (${what})${hint(e.code, e.syscall)}`;
  Object.assign(err, { option, level });
  return err;
}

/** A kernel refusal in a batch (setsockopts): which options were set before it, and which were not. */
export interface BatchError extends SockoptSystemError {
  /** Options set before the refused one, in order; they stay set. */
  applied: string[];
  /** The refused option and those after it, in order; none of them was set. */
  notApplied: string[];
}

/** Adds the batch's progress to a refusal already named by fromNative. */
export function batchFailure(err: unknown, applied: string[], notApplied: string[]): unknown {
  if (!(err instanceof Error)) return err;
  err.message += ` [setsockopts: ${applied.length} set before it (${applied.join(', ') || 'none'}), not set: ${notApplied.join(', ')}]`;
  return Object.assign(err, { applied, notApplied });
}

// A few refusals deserve a word on what to do about them.
function hint(code: string | undefined, syscall: string): string {
  switch (code) {
    case 'ENOPROTOOPT':
      return ': this socket type or protocol does not have that option';
    case 'EPERM':
      return syscall === 'setsockopt' ? ': the process lacks the capability this needs (often CAP_NET_ADMIN)' : '';
    case 'EBADF':
    case 'ENOTSOCK':
      return ': the file descriptor is not an open socket';
    default:
      return '';
  }
}

// Names longer than this get no suggestion: far longer than any option name, so none is
// "close", and the edit distance costs length × length (a huge name would stall the call).
const MAX_SUGGEST_LENGTH = 64;

// Closest known name by edit distance, for typos such as 'TCP_NODELEY' (or 'idel').
function suggest(name: string, known: readonly string[]): string | undefined {
  if (name.length > MAX_SUGGEST_LENGTH) return undefined;
  const upper = name.toUpperCase();
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(upper.length / 4)) + 1;
  for (const k of known) {
    if (Math.abs(k.length - upper.length) >= bestDist) continue; // the distance is at least the length difference
    const d = distance(upper, k.toUpperCase());
    if (d < bestDist) {
      bestDist = d;
      best = k;
    }
  }
  return best;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

// errno → [code, description] as Node names them (libuv's table); built once.
const systemErrors = getSystemErrorMap();

/** The Node-style code of a positive errno, e.g. 92 → 'ENOPROTOOPT'. */
export function errnoCode(errno: number): string {
  return systemErrors.get(-errno)?.[0] ?? `E${errno}`;
}

/**
 * A kernel refusal met without a native throw (a batched read reports errno numbers),
 * shaped exactly like the ones fromNative() completes: code, negative errno, syscall,
 * option, level, and the same message.
 */
export function kernelError(errno: number, syscall: 'getsockopt' | 'setsockopt', option: string, level: string): SockoptSystemError {
  const [code, description] = systemErrors.get(-errno) ?? [`E${errno}`, `unknown system error ${errno}`];
  const err = new Error(`${syscall} ${code}: ${description} (${level} ${option})${hint(code, syscall)}`) as SockoptSystemError;
  return Object.assign(err, { code, errno: -errno, syscall, option, level });
}

/**
 * A pending socket error (SO_ERROR) as an Error shaped like the kernel refusals:
 * code, negative errno, syscall 'getsockopt', option 'SO_ERROR', level 'SOL_SOCKET'.
 */
export function pendingError(errno: number): SockoptSystemError {
  const [code, description] = systemErrors.get(-errno) ?? [`E${errno}`, `unknown system error ${errno}`];
  const err = new Error(`pending socket error ${code}: ${description} (SOL_SOCKET SO_ERROR)`) as SockoptSystemError;
  return Object.assign(err, { code, errno: -errno, syscall: 'getsockopt' as const, option: 'SO_ERROR', level: 'SOL_SOCKET' });
}

/**
 * An option sockopt cannot put where it belongs in this call form: TCP/IP options on a
 * unix-domain path, options on a `handle`/`fd` the caller made, an option that must
 * precede bind() on a socket Node has already bound. Refused instead of dropped.
 */
export function notApplicable(what: string, why: string): Error & CodedError {
  return coded(new Error(`${what}: ${why}.`), 'ERR_SOCKOPT_NOT_APPLICABLE');
}

/**
 * A libuv/system error as Node builds it for a failed syscall (ErrnoException, or
 * UVExceptionWithHostPort when `address` is given): `code`, negative `errno`, `syscall`,
 * and `address`/`port`. `uvErr` is negative, as libuv returns it.
 */
export function systemError(uvErr: number, syscall: string, address?: string | null, port?: number | null): CodedError & { errno: number; syscall: string } {
  const [code, description] = systemErrors.get(uvErr) ?? [`E${-uvErr}`, `unknown error ${-uvErr}`];
  let where = '';
  if (address) where = port ? ` ${address}:${port}` : ` ${address}`;
  const err = new Error(`${syscall} ${code}: ${description}${where}`) as CodedError & { errno: number; syscall: string; address?: string; port?: number };
  Object.assign(err, { errno: uvErr, code, syscall });
  if (address) err.address = address;
  if (address && port) err.port = port;
  return err;
}

/**
 * A failure reaching another process (its /proc entries, pidfd_open, pidfd_getfd) as a
 * system error that says what it means: a vanished process is ESRCH, a refusal
 * (EACCES/EPERM) names the rights it needs. `what` is the data that was being read.
 */
export function processError(err: unknown, pid: number, what: string): unknown {
  const e = err as Partial<SockoptSystemError> | null;
  if (!(err instanceof Error) || typeof e?.code !== 'string') return err;
  if (e.code === 'ENOENT' || e.code === 'ESRCH') {
    return Object.assign(err, { code: 'ESRCH', errno: -3, message: `no process with pid ${pid}` });
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    const rights = what.startsWith('the options')
      ? 'ptrace-attach rights (root or CAP_SYS_PTRACE)'
      : 'ptrace-read rights (the same user, or root / CAP_SYS_PTRACE)';
    err.message = `cannot read ${what} of pid ${pid} (${e.syscall ?? 'open'} ${e.code}): this needs ${rights}`;
    return err;
  }
  err.message = `cannot read ${what} of pid ${pid}: ${err.message}`;
  return err;
}

/** A feature this runtime (Bun, Deno) gives no hook for: refused up front, naming the runtime (src/node/runtime.ts). */
export function runtimeUnsupported(what: string, why: string): Error & CodedError {
  return coded(new Error(`${what} is not supported: ${why}.`), 'ERR_SOCKOPT_RUNTIME');
}

/** A process whose main thread has exited while others run: Linux shows no fd table for it. */
export function leaderGone(pid: number, thread: number | null): Error & CodedError {
  const way = thread === null ? '' : `; thread ${thread}'s id lists them, without their options (sockopt inspect ${thread})`;
  return coded(new Error(`pid ${pid}'s main thread has exited while its other threads run: Linux shows no fd table at /proc/${pid}/fd then, so its sockets cannot be listed or read by its pid${way}`), 'ERR_SOCKOPT_UNSUPPORTED');
}

/** What stands for `denied` where a thread's id is read (its process's main thread gone): pidfd_open takes processes. */
export function threadOptionsDenied(pid: number, tgid: number): { code: string; message: string } {
  return { code: 'ERR_SOCKOPT_UNSUPPORTED', message: `pid ${pid} is a thread of process ${tgid}, whose main thread has exited: its sockets are listed from /proc/${pid}/fd, but pidfd_getfd takes a process, so their options are not read` };
}

// ESRCH as the kernel's own would be: code and errno, for a process that is gone.
function processGone(message: string): Error & CodedError & { errno: number } {
  return Object.assign(coded(new Error(message), 'ESRCH'), { errno: -3 });
}

/** A zombie (exited, its parent has not reaped it yet): no fd table left to read. */
export function processExited(pid: number): Error & CodedError & { errno: number } {
  // Worded as a process gone is ("no process with pid N"): a target that exits just
  // before its fd table is listed is one or the other, by a race.
  return processGone(`no process with pid ${pid} to read: pid ${pid} has exited (a zombie its parent has not reaped yet)`);
}

/** A process that exited while its sockets were being read: what was read may be partial. */
export function exitedError(pid: number): Error & CodedError & { errno: number } {
  return processGone(`pid ${pid} exited while its sockets were being read`);
}

/** A thread's id given for a process: pidfd_open takes a process (its main thread's id) only. */
export function threadNotProcess(pid: number, tgid: number): TypeError & CodedError {
  return coded(new TypeError(`pid ${pid} is a thread of process ${tgid}, not a process: inspect ${tgid} (its threads share its fd table)`), 'ERR_INVALID_ARG_VALUE');
}

/** `sockopt inspect PID --fd N` where fd N of the process is not a socket (or not open). */
export function noSocketAt(pid: number, fd: number): Error & CodedError {
  return coded(new Error(`pid ${pid} has no socket at fd ${fd}`), 'ENOENT');
}

/** The `sockopt` command was called wrongly (unknown command or flag, bad PID, bad --set): exit code 2. */
export function usageError(message: string): Error & CodedError {
  return coded(new Error(message), 'ERR_SOCKOPT_USAGE');
}

/** A feature (not an option) this platform lacks, e.g. another process's sockets without /proc and pidfd_getfd. */
export function featureUnsupported(what: string, platforms: readonly string[]): Error & CodedError {
  return coded(new Error(`${what} is not supported on ${process.platform} (available on: ${platforms.join(', ')})`), 'ERR_SOCKOPT_UNSUPPORTED');
}
