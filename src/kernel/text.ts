// Strings that come from elsewhere (another process's command name and unix socket
// paths, interface names, the kernel's congestion-control name, a TLS peer's
// certificate subject) are data, never terminal input. Two rules, in one place:
//  - text for a person: every C0/C1 control, ESC, DEL, bidi override or invisible
//    format character and every byte that is not UTF-8 is shown visibly (\x1b, \n,
//    \u202e), and a backslash as \\ so the escapes cannot be faked;
//  - JSON: the exact bytes, losslessly: a string where they are valid UTF-8, else
//    { hex: '…' }; and the JSON text itself carries C1 controls and bidi characters
//    as \uXXXX escapes (still the same JSON value), so it is safe on a terminal too.

/** Bytes as JSON carries them: a string when they are valid UTF-8, else `{ hex }` of the exact bytes. */
export type ExactText = string | { hex: string };

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The exact bytes as JSON-safe data: a string when they are valid UTF-8, else `{ hex: '…' }`. */
export function exactText(bytes: Uint8Array): ExactText {
  try {
    return utf8.decode(bytes);
  } catch {
    return { hex: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex') };
  }
}

/** The bytes an ExactText stands for. */
export function exactBytes(t: ExactText): Buffer {
  return typeof t === 'string' ? Buffer.from(t, 'utf8') : Buffer.from(t.hex, 'hex');
}

// Code points shown as escapes besides C0, DEL and C1: bidi embeddings, overrides and
// isolates, marks, zero-width and line/paragraph separators, the BOM, and lone surrogates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\ufff9-\ufffb\\]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;
// What terminalSafe could change: UNSAFE's characters but the newline and the backslash,
// and every surrogate (a pair too: the rare text holding one takes the full replace). A
// plain class, no 'u' flag and no lookaround: the fast scan over megabytes of output.
// eslint-disable-next-line no-control-regex
const UNSAFE_IN_LINES = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ud800-\udfff\ufeff\ufff9-\ufffb]/;
// UNSAFE minus the backslash (JSON already escapes it) and minus C0 and the
// surrogates (JSON.stringify already escapes those).
// (All in the BMP: no 'u' flag, the faster scan over megabytes of JSON.)
const JSON_UNSAFE = /[\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u3164\ufeff\ufff9-\ufffb]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

function escapeChar(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  const cp = c.codePointAt(0)!;
  return cp < 0x80 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u${cp.toString(16).padStart(4, '0')}`;
}

const escapeString = (s: string): string => s.replace(UNSAFE, escapeChar);

/**
 * Text for a terminal: controls, bidi and invisible characters as visible escapes,
 * bytes that are not UTF-8 as \xHH. Takes a string, an ExactText or raw bytes.
 */
export function escapeText(value: ExactText | Uint8Array): string {
  if (typeof value === 'string') return escapeString(value);
  const bytes = value instanceof Uint8Array ? value : Buffer.from(value.hex, 'hex');
  const t = exactText(bytes);
  if (typeof t === 'string') return escapeString(t);
  // Not UTF-8: walk it, keeping each valid sequence and escaping each stray byte.
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    const seq = len > 0 && i + len <= bytes.length ? exactText(bytes.subarray(i, i + len)) : null;
    if (typeof seq === 'string') {
      out += escapeString(seq);
      i += len;
    } else {
      out += `\\x${b.toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return out;
}

/**
 * A line (or lines) of finished text made terminal-safe: everything escapeText escapes
 * except the newlines that separate lines and the backslash. The last line of defence
 * in the CLI's output; each field from elsewhere is escaped on its own before this.
 */
export function terminalSafe(text: string): string {
  // Most text has nothing to escape: one scan without a match keeps the text as it is
  // (UNSAFE matches every newline and backslash, a callback each, to give them back).
  if (!UNSAFE_IN_LINES.test(text)) return text;
  return text.replace(UNSAFE, (c) => (c === '\n' || c === '\\' ? c : escapeChar(c)));
}

/** JSON text made terminal-safe without changing its value: C1, DEL, bidi and invisible characters as \uXXXX. */
export function jsonTerminalSafe(json: string): string {
  // ASCII without DEL (nearly all JSON) holds none: two native scans, several times
  // faster than the character class over megabytes (docs/inspect.md).
  if (printableAscii(json)) return json;
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

// Whether `text` is ASCII without DEL: its UTF-8 is as long as it is, and no 0x7f. C0
// controls are not looked for (JSON.stringify escapes them).
function printableAscii(text: string): boolean {
  return Buffer.byteLength(text, 'utf8') === text.length && !text.includes('\x7f');
}
