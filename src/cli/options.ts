// sockopt options [NAME] [--json]: the registry as this platform resolved it.
import { unknownOption } from '../kernel/errors';
import { optionNames, options, type OptionInfo } from '../core/options';
import { common, parse } from './args';
import { toJson, type Output } from './output';

export const usage = `sockopt options [NAME] [--json]
  The options sockopt knows: level, value kind, unit, access (r, w, rw), the platforms
  whose headers define it, whether this one does, and what it does. NAME shows one.`;

const ACCESS: Record<string, string> = { r: 'get', w: 'set', rw: 'get/set' };

function detail(o: OptionInfo): string {
  const range = o.min !== undefined || o.max !== undefined ? ` (${o.min ?? '…'}–${o.max ?? '…'})` : '';
  return [
    `${o.name}: ${o.doc}`,
    `  level     ${o.level}${o.levelNumber !== undefined ? ` (${o.levelNumber})` : ''}`,
    `  optname   ${o.optname ?? '-'}`,
    `  kind      ${o.kind}`,
    `  unit      ${o.unit}${range}`,
    `  access    ${ACCESS[o.access]}`,
    `  platforms ${o.platforms.join(', ')}`,
    `  here      ${o.supported ? `supported (${process.platform})` : `not supported on ${process.platform}`}`,
  ].join('\n');
}

function table(list: readonly OptionInfo[]): string {
  const rows = [['OPTION', 'LEVEL', 'KIND', 'UNIT', 'ACCESS', 'HERE', 'PLATFORMS'], ...list.map((o) => [o.name, o.level, o.kind, o.unit, ACCESS[o.access]!, o.supported ? 'yes' : 'no', o.platforms.join(',')])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function run(args: string[], io: Output): number {
  const { values, positionals } = parse(args, common);
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const all = optionNames.map((n) => options[n]);
  if (positionals[0] === undefined) {
    io.out(values.json ? toJson(all) : table(all));
    return 0;
  }
  const name = positionals[0].toUpperCase();
  const info = (optionNames as readonly string[]).includes(name) ? options[name as keyof typeof options] : undefined;
  if (!info) throw unknownOption(positionals[0], optionNames);
  io.out(values.json ? toJson(info) : detail(info));
  return 0;
}
