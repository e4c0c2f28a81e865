// The CLI's JSON text: toJson tries JSON.stringify without a replacer and falls back to
// the bigint one on a TypeError; the text must be the same as the replacer alone gives.
import { describe, expect, it } from 'vitest';
import { toJson, toJsonNested } from '../../src/cli/output';
import { bigintReplacer } from '../../src/kernel/json';

describe('toJson', () => {
  it('gives the text JSON.stringify with the bigint replacer gives, with and without bigints', () => {
    const plain = { a: 1, b: [true, null, 'x\u202ey'], c: { d: 'é', e: undefined } };
    const wide = { ...plain, cookie: 2n ** 63n, deep: [{ n: 1n }] };
    for (const v of [plain, wide, [wide, plain], 5n, 'text']) {
      const reference = JSON.stringify(v, bigintReplacer, 2).replace(/\u202e/g, '\\u202e');
      expect(toJson(v)).toBe(reference);
    }
    expect(toJson(wide)).toContain('"cookie": "9223372036854775808"');
    expect(toJsonNested(wide, 2)).toBe(toJson(wide).replace(/^/gm, '    '));
  });

  it('still throws on a cycle', () => {
    const cycle: Record<string, unknown> = { n: 1n };
    cycle.self = cycle;
    expect(() => toJson(cycle)).toThrow(TypeError);
  });
});

describe('toJson on a terminal', () => {
  // jsonTerminalSafe skips its scan for ASCII without DEL; every other text takes it.
  it('escapes DEL, C1, bidi and invisible characters beside plain ASCII, and leaves plain ASCII as it is', () => {
    const cases: [unknown, string][] = [
      ['plain', '"plain"'],
      ['a\u007fb', '"a\\u007fb"'],
      ['\u0085x', '"\\u0085x"'],
      ['\u202e', '"\\u202e"'],
      ['é\u200b', '"é\\u200b"'],
      ['\u001b[2J\n', '"\\u001b[2J\\n"'], // C0: JSON.stringify's own escapes
      ['\ud800', '"\\ud800"'],
      ['\ud83d\ude00', '"\ud83d\ude00"'], // a whole pair stays
    ];
    for (const [value, text] of cases) expect(toJson(value)).toBe(text);
    const big = { sockets: Array.from({ length: 2000 }, (_, i) => ({ fd: i, path: i === 1999 ? 'x\u007f' : 'x' })) };
    expect(toJson(big)).toContain('"path": "x\\u007f"');
    expect(JSON.parse(toJson(big))).toEqual(big);
  });
});
