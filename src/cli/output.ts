// Where the commands write: stdout for results, stderr for notes, and JSON with
// bigints as decimal strings. Commands take an Output so tests and other tools can
// capture it.
import { bigintReplacer } from '../kernel/json';
import { escapeText, jsonTerminalSafe, terminalSafe } from '../kernel/text';

export interface Output {
  out(text: string): void;
  err(text: string): void;
  /**
   * Optional: writes bytes already made as out() makes them (terminal-safe UTF-8 lines).
   * Returns true when they are written already, so the caller may reuse the buffer.
   */
  outBytes?(bytes: Uint8Array): boolean | void;
  /**
   * Optional: writes text toJson made (terminal-safe already: JSON.stringify escapes C0
   * controls and lone surrogates, jsonTerminalSafe the rest) as out() writes it, without
   * scanning it again: a second scan of 20k sockets' JSON cost ~90 ms.
   */
  outJson?(text: string): void;
}

// Every field from elsewhere is escaped where it is formatted; terminalSafe is the last
// line of defence: no control character but the newline reaches the terminal.
export const stdio: Output = {
  out: (text) => process.stdout.write(`${terminalSafe(text)}\n`),
  err: (text) => process.stderr.write(`${terminalSafe(text)}\n`),
  outJson: (text) => process.stdout.write(`${text}\n`),
  // Files and TTYs take the bytes within write(); a pipe whose reader is behind keeps them
  // queued (with the buffer). Only when nothing waits may the buffer be filled again.
  outBytes: (bytes) => {
    process.stdout.write(bytes);
    return process.stdout.writableLength === 0;
  },
};

/**
 * JSON.stringify with 64-bit values as decimal strings and two-space indentation; C1
 * controls, DEL and bidi characters as \uXXXX escapes (the same JSON value, safe on a terminal).
 */
export function toJson(value: unknown, indent = 2): string {
  return jsonTerminalSafe(stringify(value, indent));
}

// A replacer function sends JSON.stringify down V8's slow path, a call per value: it was
// most of `inspect --json`'s formatting time (docs/inspect.md). Most values hold no bigint,
// so try without it; a bigint makes JSON.stringify throw a TypeError, and the replacer
// (the identity for every other value, so the same text) is used then.
function stringify(value: unknown, indent: number): string {
  try {
    return JSON.stringify(value, null, indent);
  } catch (err) {
    if (err instanceof TypeError) return JSON.stringify(value, bigintReplacer, indent);
    throw err;
  }
}

/**
 * toJson of a value that sits `depth` arrays deep in a document: every line indented as
 * it will stand there (the first one too), without re-indenting the text afterwards.
 */
export function toJsonNested(value: unknown, depth: number): string {
  let wrapped = value;
  for (let i = 0; i < depth; i++) wrapped = [wrapped];
  const text = toJson(wrapped);
  // '[\n  [\n' … '\n  ]\n]': each level opened on a line of its own and closed on another.
  let head = 0;
  let tail = 0;
  for (let i = 0; i < depth; i++) {
    head += 2 * i + 2; // '  '.repeat(i) + '[\n'
    tail += 2 * i + 2; // '\n' + '  '.repeat(i) + ']'
  }
  return text.slice(head, text.length - tail);
}

const MAX_MESSAGE = 1000;
function clip(text: string): string {
  return text.length <= MAX_MESSAGE ? text : `${text.slice(0, MAX_MESSAGE)}… (${text.length - MAX_MESSAGE} more characters)`;
}

/**
 * A failure as the command reports it: its code ('ERR' when it has none) and one line of
 * message, escaped (a message that quotes something from elsewhere keeps its newlines
 * escaped) and short (an argument echoed back may be up to 128 KiB).
 */
export function errorFields(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown } | null | undefined;
  return { code: typeof e?.code === 'string' ? e.code : 'ERR', message: escapeText(clip(String(e?.message ?? err))) };
}

const IN_DOCUMENT = Symbol('sockopt.errorInDocument');

/**
 * `err`, marked as already written into the JSON document a command had begun on stdout
 * (as its `error` member): main() then prints only the line on stderr, so that stdout
 * stays one JSON value. A value that is not an object is wrapped in an Error first.
 */
export function writtenInDocument(err: unknown): object {
  const e = typeof err === 'object' && err !== null ? err : new Error(String(err));
  Object.defineProperty(e, IN_DOCUMENT, { value: true });
  return e;
}

/** Whether writtenInDocument() marked `err`. */
export function isWrittenInDocument(err: unknown): boolean {
  return typeof err === 'object' && err !== null && IN_DOCUMENT in err;
}
