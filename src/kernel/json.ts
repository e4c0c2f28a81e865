// The one rule for 64-bit values in JSON: a bigint becomes its decimal string, so the
// JSON parses back without loss (a JSON number would round above 2^53).

/** A JSON.stringify replacer: bigints as decimal strings. */
export function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** A deep copy as JSON-safe data: bigints as decimal strings, other values as they are. */
export function jsonSafe(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(jsonSafe);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) out[k] = jsonSafe((value as Record<string, unknown>)[k]);
  return out;
}
