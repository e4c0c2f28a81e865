// The CLI's chunked Output: the same bytes as one write per line, err() never ahead of
// the lines before it, and nothing left behind after flush().
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chunked } from '../../src/cli/chunked';
import { toJson, type Output } from '../../src/cli/output';
import { terminalSafe } from '../../src/kernel/text';
import { root } from '../helpers';

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

  // To an Output of strings, and to one that takes bytes: the same order.
  const kinds = [
    ['strings', () => recorder(), (log: unknown[]) => log],
    ['bytes', () => ({ ...recorder(), outBytes(b: Uint8Array) { this.log.push(`out:${Buffer.from(b).toString()}`); } }), (log: unknown[]) => log],
  ] as const;
  it.each(kinds)('hands on what is waiting before anything goes to err() (%s)', (_, make) => {
    const inner = make();
    const out = chunked(inner);
    out.out('a');
    out.out('b');
    out.err('oops');
    out.out('c');
    out.flush();
    expect(inner.log).toEqual(['out:a\nb\n', 'err:oops\n', 'out:c\n']);
  });
});

describe('chunked, to an Output that takes bytes', () => {
  function byteRecorder(): Output & { log: (string | Buffer)[] } {
    const log: (string | Buffer)[] = [];
    return { log, out: (t) => log.push(`out:${t}\n`), err: (t) => log.push(`err:${t}\n`), outBytes: (b) => void log.push(Buffer.from(b)) };
  }
  // What stdio.out would write for each line, in one string.
  const asStdio = (lines: string[]) => lines.map((l) => `${terminalSafe(l)}\n`).join('');

  it('writes the bytes stdio.out would, escaped, in chunks of about 64 KiB', () => {
    const odd = ['\u001b[2J', 'a\u202eb', '\ud800', '\udc00x', '\ud83d\ude00', 'é→·', '\\', '\u0085', 'line\nline'];
    const lines = Array.from({ length: 6000 }, (_, i) => `fd ${i} ${'x'.repeat(i % 97)}${odd[i % odd.length]}`);
    lines.push('y'.repeat(300_000)); // longer than a chunk's buffer
    lines.push('→'.repeat(70_000)); // three bytes each
    const inner = byteRecorder();
    const out = chunked(inner);
    for (const l of lines) out.out(l);
    out.flush();
    out.flush(); // nothing waiting: no empty write
    expect(inner.log.every((b) => Buffer.isBuffer(b))).toBe(true);
    const bytes = Buffer.concat(inner.log as Buffer[]);
    expect(bytes.equals(Buffer.from(asStdio(lines), 'utf8'))).toBe(true);
    expect(bytes.includes(0x1b)).toBe(false);
    expect(inner.log.length).toBeLessThan(lines.length / 100);
  });

  it('outJson writes toJson text as out() would, without scanning it again; to strings, out() is used', () => {
    const docs = Array.from({ length: 3000 }, (_, i) => toJson({ fd: i, path: ['a\u202eb', '\u001b[2J', 'x\u007f', '\ud83d\ude00', 'plain'][i % 5] }));
    const inner = byteRecorder();
    const out = chunked(inner);
    for (const d of docs) out.outJson!(d);
    out.flush();
    const bytes = Buffer.concat(inner.log as Buffer[]);
    expect(bytes.equals(Buffer.from(asStdio(docs), 'utf8'))).toBe(true); // already safe: the scan would change nothing
    expect(bytes.includes(0x1b)).toBe(false);
    const strings = recorder();
    const viaOut = chunked(strings);
    viaOut.outJson!('a\u202eb');
    viaOut.flush();
    expect(strings.log).toEqual(['out:a\u202eb\n']); // handed to out(), which scans it (stdio.out)
  });

  it('hands each chunk over in a buffer of its own', () => {
    const held: Uint8Array[] = [];
    const keep = chunked({ out: () => {}, err: () => {}, outBytes: (b) => void held.push(b) });
    keep.out('first');
    keep.flush();
    keep.out('second');
    keep.flush();
    expect(held.map((b) => Buffer.from(b).toString())).toEqual(['first\n', 'second\n']);
  });

  it('fills a buffer again once the Output says it is written, and never one it still holds', () => {
    const seen: { bytes: Uint8Array; copy: string }[] = [];
    let written = true;
    const out = chunked({ out: () => {}, err: () => {}, outBytes: (b) => (seen.push({ bytes: b, copy: Buffer.from(b).toString() }), written) });
    const write = (text: string) => {
      out.out(text);
      out.flush();
    };
    write('a');
    write('b');
    written = false; // the Output keeps this one
    write('c');
    written = true;
    write('d');
    write('e'.repeat(200_000)); // longer than a chunk's buffer: one of its own, not kept
    write('f');
    const memory = seen.map((s) => s.bytes.buffer);
    expect(memory[1]).toBe(memory[0]); // a, b: the same memory
    expect(memory[2]).toBe(memory[0]); // c: written into it, then left to the Output
    expect(memory[3]).not.toBe(memory[2]); // d: a new buffer
    expect(memory[4]).not.toBe(memory[3]);
    expect(memory[5]).not.toBe(memory[4]);
    expect(memory[5]!.byteLength).toBeLessThan(200_000);
    // Each write carried its own line, and what the Output kept was not written over.
    expect(seen.map((s) => s.copy)).toEqual(['a\n', 'b\n', 'c\n', 'd\n', `${'e'.repeat(200_000)}\n`, 'f\n']);
    expect(Buffer.from(seen[2]!.bytes).toString()).toBe('c\n');
  });
});

describe('chunked(stdio), through a real pipe', () => {
  // stdio.outBytes says a buffer is written when nothing waits in process.stdout; a reader
  // that does not read for a while fills the pipe, and every byte must still arrive as
  // written: a buffer is never filled again while the stream holds it.
  it.each([
    ['read at once', 0],
    ['read after the pipe has filled', 300],
  ])('the bytes arrive exactly (%s)', async (_, delay) => {
    const lib = (p: string) => JSON.stringify(join(root, 'lib', p));
    const code = `
const { chunked } = require(${lib('cli/chunked.js')});
const { stdio } = require(${lib('cli/output.js')});
const out = chunked(stdio);
for (let i = 0; i < 40000; i++) out.out('line ' + i + ' ' + String.fromCharCode(97 + (i % 26)).repeat(i % 113));
out.flush();`;
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.pause();
    await new Promise((r) => setTimeout(r, delay));
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdout.resume();
    const [code_] = (await once(child, 'close')) as [number];
    expect(code_).toBe(0);
    const expected = Array.from({ length: 40000 }, (_, i) => `line ${i} ${String.fromCharCode(97 + (i % 26)).repeat(i % 113)}\n`).join('');
    const got = Buffer.concat(chunks).toString();
    expect(got.length).toBe(expected.length);
    expect(got === expected).toBe(true);
  });
});
