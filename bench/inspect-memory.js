// npm run bench:inspect-memory [-- SIZES ROUNDS]: `sockopt inspect PID --json`'s peak RSS
// against the target's socket count (default sizes 300,4000,19800: bench/inspect-target.py),
// the median of ROUNDS runs each (default 4), and what each socket adds between two sizes.
// Issue 23 asks for memory that does not grow with the count. BENCH_NODE=path: another node.
'use strict';
const { execFileSync } = require('node:child_process');
const { median } = require('./common');
const { node, target, timed, nodeStart } = require('./inspect-common');

const sizes = (process.argv[2] ?? '300,4000,19800').split(',').map(Number);
const rounds = Number(process.argv[3] ?? 4);

async function main() {
  console.log(`node ${execFileSync(node, ['-v'], { encoding: 'utf8' }).trim()}; ${rounds} runs a size; host: node -e 0 takes ${nodeStart().toFixed(2)} s`);
  const rows = [];
  for (const n of sizes) {
    const held = await target(n);
    try {
      const peaks = [];
      for (let r = 0; r < rounds; r++) peaks.push(timed(['inspect', String(held.pid), '--json']).rssKiB);
      rows.push({ sockets: held.sockets, peak: median(peaks) });
      console.log(`  ${String(held.sockets).padStart(6)} sockets: peak RSS ${median(peaks)} KiB (runs: ${peaks.join(', ')})`);
    } finally {
      held.stop();
    }
  }
  for (let i = 1; i < rows.length; i++) {
    const [a, b] = [rows[i - 1], rows[i]];
    console.log(`${a.sockets} → ${b.sockets} sockets: +${b.peak - a.peak} KiB, ${((b.peak - a.peak) / (b.sockets - a.sockets)).toFixed(2)} KiB a socket`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
