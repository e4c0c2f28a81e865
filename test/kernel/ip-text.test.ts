// Address texts against inet_ntop() itself (Python's socket.inet_ntop calls the C
// library's): every rule of its IPv6 form (the longest zero run, ties, embedded IPv4)
// on edge cases and on random addresses biased toward zero words.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from '../../src/kernel/ip-text';
import { python } from '../helpers';

function ntop(family: 4 | 6, list: Uint8Array[]): string[] {
  const hex = list.map((b) => Buffer.from(b).toString('hex'));
  const script = `import socket, sys, json\nf = socket.AF_INET if sys.argv[1] == '4' else socket.AF_INET6\nprint(json.dumps([socket.inet_ntop(f, bytes.fromhex(h)) for h in json.load(sys.stdin)]))`;
  return JSON.parse(execFileSync(python, ['-c', script, String(family)], { input: JSON.stringify(hex) }).toString()) as string[];
}

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s / 2 ** 32);
}

describe('ip-text', () => {
  it('IPv4: the dotted quad, cached text equal to a fresh one', () => {
    const rnd = seeded(4);
    const list = [new Uint8Array([0, 0, 0, 0]), new Uint8Array([255, 255, 255, 255]), new Uint8Array([127, 0, 0, 1])];
    for (let i = 0; i < 2000; i++) list.push(Uint8Array.from({ length: 4 }, () => Math.floor(rnd() * 256)));
    const expected = ntop(4, list);
    expect(list.map((b) => ipv4Text(b, 0))).toEqual(expected);
    expect(list.map((b) => ipv4Text(b, 0))).toEqual(expected); // from the cache
  });

  it('IPv6: every zero-run, tie and embedded-IPv4 rule, and random addresses', () => {
    const words = (w: number[]) => {
      const b = new Uint8Array(16);
      w.forEach((x, i) => ((b[2 * i] = x >> 8), (b[2 * i + 1] = x & 0xff)));
      return b;
    };
    const list = [
      words([0, 0, 0, 0, 0, 0, 0, 0]),
      words([0, 0, 0, 0, 0, 0, 0, 1]),
      words([0, 0, 0, 0, 0, 0, 0, 2]),
      words([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]), // mapped
      words([0, 0, 0, 0, 0, 0, 0x7f00, 1]), // compatible
      words([0, 0, 0, 0, 0xffff, 0, 0x7f00, 1]), // SIIT: not embedded
      words([0, 0, 0, 0, 0, 0xfffe, 0x7f00, 1]),
      words([1, 0, 0, 1, 0, 0, 0, 1]), // tie: the first run
      words([1, 0, 0, 1, 0, 0, 0, 0]), // longer run last, trailing
      words([1, 0, 1, 0, 1, 0, 1, 0]), // single zeros are not compressed
      words([0xfe80, 0, 0, 0, 0x1234, 0xabcd, 0, 0]),
      words([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
      words([0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff]),
    ];
    const rnd = seeded(6);
    for (let i = 0; i < 3000; i++) list.push(words(Array.from({ length: 8 }, () => (rnd() < 0.5 ? 0 : rnd() < 0.3 ? 0xffff : Math.floor(rnd() * 0x10000)))));
    expect(list.map((b) => ipv6Text(b, 0))).toEqual(ntop(6, list));
    // At an offset inside a larger buffer, as the tracker reads it.
    const big = new Uint8Array(40);
    big.set(list[3]!, 20);
    expect(ipv6Text(big, 20)).toBe('::ffff:127.0.0.1');
  });
});
