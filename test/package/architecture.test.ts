// The source layout holds: rooms import only downward, nothing imports in a cycle, and
// Node internals are touched only under src/node/ (the eslint rule is what enforces it;
// this checks the rule itself still refuses a wrong import).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..').replace(/\/test$/, '');
const repo = readdirSync(root).includes('package.json') ? root : resolve(root, '..');
const src = join(repo, 'src');
const ROOMS = ['kernel', 'node', 'core', 'inspect', 'birth', 'policy', 'telemetry', 'cli'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|require\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = resolve(dirname(file), m[1]!);
    if (target.startsWith(src)) out.push(`${target}.ts`);
  }
  return out;
}

const roomOf = (file: string): string => {
  const parts = relative(src, file).split('/');
  return parts.length > 1 ? parts[0]! : '(entry)';
};

describe('architecture', () => {
  const all = files(src);

  it('every file of src/ sits in a room or is an entry point', () => {
    const entries = all.filter((f) => roomOf(f) === '(entry)').map((f) => relative(src, f)).sort();
    expect(entries).toEqual(['cli.ts', 'index.ts', 'otel.ts', 'register.ts']);
    for (const f of all) if (roomOf(f) !== '(entry)') expect(ROOMS, relative(src, f)).toContain(roomOf(f));
  });

  it('rooms import only the rooms below them', () => {
    const up: string[] = [];
    for (const f of all) {
      const from = roomOf(f);
      if (from === '(entry)') continue;
      for (const t of importsOf(f)) {
        const to = roomOf(t);
        if (to === '(entry)' || ROOMS.indexOf(to) > ROOMS.indexOf(from)) up.push(`${relative(src, f)} -> ${relative(src, t)}`);
      }
    }
    expect(up).toEqual([]);
  });

  it('no import cycles between files', () => {
    const graph = new Map(all.map((f) => [f, importsOf(f)]));
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 2) return;
      if (state.get(f) === 1) {
        cycles.push([...path.slice(path.indexOf(f)), f].map((p) => relative(src, p)).join(' -> '));
        return;
      }
      state.set(f, 1);
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 2);
    };
    for (const f of all) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('Node internals (_handle, _listen2) are named only under src/node/', () => {
    const outside = all.filter((f) => roomOf(f) !== 'node' && /_handle|_listen2/.test(readFileSync(f, 'utf8')));
    expect(outside.map((f) => relative(src, f))).toEqual([]);
  });

  it('the eslint rule refuses an upward import and a Node internal outside src/node/', async () => {
    const eslint = new ESLint({ cwd: repo });
    const code = "import { tuneSockets } from '../policy/tune-sockets';\nexport const t = tuneSockets;\nexport const fd = (s: { _handle: { fd: number } }) => s._handle.fd;\n";
    const [bad] = await eslint.lintText(code, { filePath: join(src, 'kernel', 'x.ts') });
    const rules = bad!.messages.map((m) => m.ruleId).sort();
    expect(rules).toEqual(['no-restricted-imports', 'no-restricted-syntax', 'no-restricted-syntax']);
    // The same import from the room above policy, and the same internal inside src/node/, pass.
    const [above] = await eslint.lintText(code, { filePath: join(src, 'cli', 'x.ts') });
    expect(above!.messages.map((m) => m.ruleId)).toEqual(['no-restricted-syntax', 'no-restricted-syntax']);
    const [inside] = await eslint.lintText('export const fd = (s: { _handle: { fd: number } }) => s._handle.fd;\n', { filePath: join(src, 'node', 'x.ts') });
    expect(inside!.messages).toEqual([]);
  });
});
