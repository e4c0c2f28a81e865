// An Output that hands on its lines in chunks: `sockopt inspect` prints a line or a
// JSON object per socket, and one write per socket (20k of them for a large process) was
// a tenth of its CPU time: the stream machinery, a Buffer and a syscall each.
import type { Output } from './output';

/** Chunks of about this many characters: memory stays small and bounded. */
const CHUNK = 1 << 16;

/**
 * `io` with out() gathered: the same text, written when about CHUNK characters are
 * waiting, before anything goes to err() (the order stays), and at flush().
 */
export function chunked(io: Output): Output & { flush(): void } {
  let lines: string[] = [];
  let length = 0;
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join('\n'); // io.out ends each with a newline: the same bytes
    lines = [];
    length = 0;
    io.out(text);
  };
  return {
    out(text) {
      lines.push(text);
      length += text.length + 1;
      if (length >= CHUNK) flush();
    },
    err(text) {
      flush();
      io.err(text);
    },
    flush,
  };
}
