// The built package (lib/) in a hardened process: `node --disallow-code-generation-from-strings`
// forbids eval and new Function, as hardened services run. Loading and reading TCP_INFO
// must not need either.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { root } from '../helpers';

const probe = `
  let blocked = false;
  try { new Function('return 1'); } catch (e) { blocked = e instanceof EvalError; }
  const M = require('sockopt');
  const net = require('node:net');
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const c = net.connect(srv.address().port, '127.0.0.1', () => {
      const info = M.getTcpInfo(c);
      const big = M.getTcpInfo(c, { bigint: true });
      const short = M.decodeTcpInfo(Buffer.alloc(104));
      const snap = JSON.parse(JSON.stringify(M.snapshot(c)));
      // The fields read here end at bytesAcked's last byte: the kernel's length must cover it.
      const used = M.tcpInfoFields.find((f) => f[0] === 'bytesAcked')[3];
      console.log(JSON.stringify({ blocked, state: info.state, coversUsedFields: info.length >= used, big: typeof big.bytesAcked,
        short: short.length, shortHasNewer: 'pacingRate' in short, snapTcp: snap.tcpInfo.state }));
      c.destroy(); srv.close();
    });
  });`;

describe('node --disallow-code-generation-from-strings', () => {
  it('loads the package, reads and decodes TCP_INFO, snapshots a socket', () => {
    const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', probe], { cwd: root, encoding: 'utf8', timeout: 15_000 });
    expect(JSON.parse(out)).toEqual({ blocked: true, state: 'ESTABLISHED', coversUsedFields: true, big: 'bigint', short: 104, shortHasNewer: false, snapTcp: 'ESTABLISHED' });
  });
});
