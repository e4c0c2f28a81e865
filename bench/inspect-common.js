// What bench/inspect-targets.js and bench/inspect-memory.js share: a target process holding
// N sockets (bench/inspect-target.py), one `sockopt inspect` run timed under /usr/bin/time,
// and how fast this host starts a node process (its state: some hosts run in a faster and
// a slower state, and every figure moves with it). BENCH_NODE=path measures another node.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const path = require('node:path');
const { median } = require('./common');

const node = process.env.BENCH_NODE || process.execPath;
const cli = path.join(__dirname, '..', 'lib', 'cli.js');

/** A python3 process holding `n` loopback sockets: { pid, sockets, stop() }. Rejects if it exits first. */
async function target(n) {
  const proc = spawn('python3', [path.join(__dirname, 'inspect-target.py'), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    once(proc.stdout, 'data'),
    once(proc, 'exit').then(([code]) => Promise.reject(new Error(`the target exited (${code}) before it held its sockets`))),
  ]);
  const { pid, sockets } = JSON.parse(line.toString());
  return {
    pid,
    sockets,
    stop() {
      proc.stdin.end();
      proc.kill();
    },
  };
}

/** One `sockopt inspect ARGS…` run: wall seconds, CPU seconds, peak RSS in KiB (as the kernel counts). */
function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', node, cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`sockopt ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const [wall, user, sys, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rssKiB: rss };
}

/** The median wall time of `node -e 0` over 3 runs, in seconds: the host's state beside each figure. */
function nodeStart() {
  const walls = [];
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    spawnSync(node, ['-e', '0']);
    walls.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  return median(walls);
}

module.exports = { node, target, timed, nodeStart };
