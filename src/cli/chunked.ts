// An Output that hands on its lines in chunks: `sockopt inspect` prints a line or a
// JSON object per socket, and one write per socket (20k of them for a large process) was
// a tenth of its CPU time: the stream machinery, a Buffer and a syscall each. Where the
// Output takes bytes (outBytes), each line is encoded straight into the chunk's buffer:
// joining the lines into a string and encoding that cost six times as much (docs/inspect.md).
import { terminalSafe } from '../kernel/text';
import type { Output } from './output';

/** Chunks of about this many characters (or bytes): memory stays small and bounded. */
const CHUNK = 1 << 16;

/**
 * `io` with out() gathered: the same text, written when about CHUNK characters are
 * waiting, before anything goes to err() (the order stays), and at flush().
 */
export function chunked(io: Output): Output & { flush(): void } {
  return io.outBytes ? byteChunks(io) : stringChunks(io);
}

function stringChunks(io: Output): Output & { flush(): void } {
  let lines: string[] = [];
  let length = 0;
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join('\n'); // io.out ends each with a newline: the same bytes
    lines = [];
    length = 0;
    io.out(text);
  };
  const out = (text: string) => {
    lines.push(text);
    length += text.length + 1;
    if (length >= CHUNK) flush();
  };
  return {
    out,
    outJson: out, // joined with lines out() took: scanned with them at flush()
    err(text) {
      flush();
      io.err(text);
    },
    flush,
  };
}

// The bytes io.out(text) would write: terminalSafe(text) and a newline, in UTF-8.
function byteChunks(io: Output): Output & { flush(): void } {
  let buf = Buffer.allocUnsafe(2 * CHUNK);
  let at = 0;
  const flush = () => {
    if (at === 0) return;
    const full = buf.subarray(0, at);
    at = 0;
    // called on io: an Output may be a class. A buffer the stream still holds is left to
    // it and a new one taken; one already written is filled again (a new one per chunk
    // was most of the text view's memory: garbage that outlived the young generation).
    if (io.outBytes!(full) !== true || buf.length > 2 * CHUNK) buf = Buffer.allocUnsafe(2 * CHUNK);
  };
  const put = (safe: string) => {
    const most = 3 * safe.length + 1; // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (at + most > buf.length) {
      flush();
      if (most > buf.length) buf = Buffer.allocUnsafe(most);
    }
    at += buf.write(safe, at);
    buf[at++] = 0x0a;
    if (at >= CHUNK) flush();
  };
  return {
    out(text) {
      put(terminalSafe(text));
    },
    outJson: put, // safe already (Output.outJson)
    err(text) {
      flush();
      io.err(text);
    },
    flush,
  };
}
