// The built package as users load it: require() and import, named and default exports.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers';

const probe = `
  const net = require('node:net');
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const c = net.connect(srv.address().port, '127.0.0.1', () => {
      M.setsockopt(c, 'TCP_USER_TIMEOUT', 7000);
      console.log(JSON.stringify({
        named: M.getsockopt(c, 'TCP_USER_TIMEOUT'),
        view: D(c).get('TCP_USER_TIMEOUT'),
        tcp: M.constants.IPPROTO_TCP,
        supported: M.isSupported('TCP_NODELAY'),
      }));
      c.destroy(); srv.close();
    });
  });`;

function run(args: string[]): unknown {
  return JSON.parse(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }));
}

describe('package entry points (lib/)', () => {
  const expected = { named: 7000, view: 7000, tcp: 6, supported: true };

  it("require('sockopt')", () => {
    const src = `const M = require('sockopt'); const D = M.default; ${probe}`;
    expect(run(['-e', src])).toEqual(expected);
  });

  it("import sockopt, { getsockopt, … } from 'sockopt'", () => {
    const src = `import D, * as M from 'sockopt'; import { createRequire } from 'node:module'; const require = createRequire(import.meta.url); ${probe}`;
    expect(run(['--input-type=module', '-e', src])).toEqual(expected);
    const named = `import { getsockopt, setsockopt, constants, options, isSupported, sockopt } from 'sockopt'; console.log(JSON.stringify([typeof getsockopt, typeof setsockopt, typeof constants, typeof options, typeof isSupported, typeof sockopt]));`;
    expect(run(['--input-type=module', '-e', named])).toEqual(['function', 'function', 'object', 'object', 'function', 'function']);
  });
});
