// Where the commands write: stdout for results, stderr for notes, and JSON with
// bigints as decimal strings. Commands take an Output so tests and other tools can
// capture it.
import { bigintReplacer } from '../kernel/json';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const stdio: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** JSON.stringify with 64-bit values as decimal strings and two-space indentation. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, bigintReplacer, 2);
}
