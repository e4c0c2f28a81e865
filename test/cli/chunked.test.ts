// The CLI's chunked Output: the same bytes as one write per line, err() never ahead of
// the lines before it, and nothing left behind after flush().
import { describe, expect, it } from 'vitest';
import { chunked } from '../../src/cli/chunked';
import type { Output } from '../../src/cli/output';

function recorder(): Output & { log: string[] } {
  const log: string[] = [];
  return { log, out: (t) => log.push(`out:${t}\n`), err: (t) => log.push(`err:${t}\n`) };
}
const text = (log: string[], kind: string) => log.filter((l) => l.startsWith(kind)).map((l) => l.slice(kind.length)).join('');

describe('chunked', () => {
  it('writes the same text in fewer calls, each about 64 KiB, the rest at flush()', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `fd ${i} ${'x'.repeat(i % 97)}\u202e`);
    const direct = recorder();
    for (const l of lines) direct.out(l);
    const inner = recorder();
    const out = chunked(inner);
    for (const l of lines) out.out(l);
    expect(inner.log.length).toBeLessThan(10);
    out.flush();
    out.flush(); // nothing waiting: no empty write
    expect(text(inner.log, 'out:')).toBe(text(direct.log, 'out:'));
    expect(inner.log.length).toBeLessThan(lines.length / 100);
  });

  it('hands on what is waiting before anything goes to err()', () => {
    const inner = recorder();
    const out = chunked(inner);
    out.out('a');
    out.out('b');
    out.err('oops');
    out.out('c');
    out.flush();
    expect(inner.log).toEqual(['out:a\nb\n', 'err:oops\n', 'out:c\n']);
  });
});
