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
