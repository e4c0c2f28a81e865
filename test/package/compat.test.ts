// Code written for the other npm `sockopt` (derhuerst's 2.x: getsockopt(socket, level,
// optname) → number, setsockopt(socket, level, optname, int)): what works unchanged, and
// each difference the README lists, asserted.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sockopt, { constants as C, getsockopt, setsockopt, sockopt as named } from '../../src/index';
import { errno, root, tcpPair, type TcpPair } from '../helpers';

let pair: TcpPair;
beforeAll(async () => {
  pair = await tcpPair();
});
afterAll(() => pair.close());

function thrown(fn: () => unknown): Error & Record<string, unknown> {
  try {
    fn();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a throw');
}

describe('coming from the other sockopt', () => {
  it('the default export carries the calls: sockopt.getsockopt / sockopt.setsockopt with numbers', () => {
    expect(sockopt).toBe(named);
    sockopt.setsockopt(pair.client, C.SOL_SOCKET!, C.SO_RCVBUF!, 8192);
    expect(sockopt.getsockopt(pair.client, C.SOL_SOCKET!, C.SO_RCVBUF!)).toBe(16384);
    for (const k of ['getsockopt', 'setsockopt', 'setsockopts', 'isSupported', 'options', 'constants', 'sizes', 'getTcpInfo', 'decodeTcpInfo', 'snapshot', 'takeError', 'setKeepAlive', 'setLinger', 'setTimeouts', 'setUserTimeout'] as const) {
      expect(sockopt[k], k).toBeDefined();
    }
    expect(sockopt(pair.client).get('SO_RCVBUF')).toBe(16384); // and it is still the view function
  });

  it("import sockopt from 'sockopt' in ESM and require('sockopt') in CommonJS, as the built package", () => {
    const esm = `import sockopt from 'sockopt'; console.log(typeof sockopt.getsockopt, typeof sockopt.setsockopt, sockopt.constants.SOL_SOCKET);`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', esm], { cwd: root, encoding: 'utf8' }).trim()).toBe(`function function ${C.SOL_SOCKET}`);
    const cjs = `const { getsockopt, setsockopt } = require('sockopt'); console.log(typeof getsockopt, typeof setsockopt);`;
    expect(execFileSync(process.execPath, ['-e', cjs], { cwd: root, encoding: 'utf8' }).trim()).toBe('function function');
  });

  it('the differences the README lists', () => {
    // A kernel refusal is an Error with code/errno/syscall (the other package throws a TypeError with a message only).
    const file = openSync(__filename, 'r');
    try {
      const err = thrown(() => getsockopt(file, C.SOL_SOCKET!, C.SO_RCVBUF!));
      expect(err.constructor).toBe(Error);
      expect(err).toMatchObject({ code: 'ENOTSOCK', errno: errno('ENOTSOCK'), syscall: 'getsockopt' });
    } finally {
      closeSync(file);
    }
    // The raw int form is a C int: 2^31 and above are refused (the other package wraps them).
    expect(thrown(() => setsockopt(pair.client, C.SOL_SOCKET!, C.SO_RCVBUF!, 2 ** 31)).code).toBe('ERR_OUT_OF_RANGE');
    // A hand-made { _handle: { fd } } is not a socket here: pass the fd number instead.
    const fd = (pair.client as unknown as { _handle: { fd: number } })._handle.fd;
    expect(thrown(() => getsockopt({ _handle: { fd } } as never, C.SOL_SOCKET!, C.SO_RCVBUF!)).code).toBe('ERR_INVALID_ARG_TYPE');
    expect(getsockopt(fd, C.SOL_SOCKET!, C.SO_RCVBUF!)).toBe(16384);
    // A 4th argument to getsockopt is a length and returns a Buffer (the other package ignores it).
    expect(Buffer.isBuffer(getsockopt(pair.client, C.SOL_SOCKET!, C.SO_RCVBUF!, 4))).toBe(true);
    // Non-integers are refused with a code (the other package: an uncoded Error).
    expect(thrown(() => setsockopt(pair.client, C.SOL_SOCKET!, C.SO_RCVBUF!, 1.5)).code).toBe('ERR_OUT_OF_RANGE');
  });
});
