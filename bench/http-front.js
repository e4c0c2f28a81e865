// The HTTP front of `npm run bench` (bench/run.js), also run alone: the front server
// (bench/http-server.js: a new connection per request on both hops) in its variants,
// each in its own process, rounds in alternating order; req/s and the front's own CPU per
// request (user + system from /proc). Alone, it prints the CPU per request of each variant
// and, per round, tracked ÷ tuned: the issue-24 target is tuned/tracked ≥ 0.95 (requests
// per CPU second).
//   node bench/http-front.js [ROUNDS] [variant …]   (default 8 rounds of tuned, tracked)
//   node bench/http-front.js 8 tuned burn10   (tuned + 10 µs of JavaScript per socket: the metric's own sensitivity)
'use strict';
const { spawn } = require('node:child_process');
const { once } = require('node:events');
const fs = require('node:fs');
const path = require('node:path');
const autocannon = require('autocannon');
const { median } = require('./common');

// The front server (bench/http-server.js) in four variants against one backend, each in
// its own process (so autocannon's work does not share their event loop), measured in
// alternating order round by round; req/s is each variant's median.
async function httpBench({ seconds = 5, rounds = 4, connections = 10, variants = ['plain', 'tuned', 'tracked', 'byhand'] } = {}) {
  const start = async (...args) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'http-server.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await once(child.stdout, 'data');
    return { child, port: Number(String(line).trim()) };
  };
  const stop = async (child) => {
    child.kill();
    await once(child, 'exit');
  };
  const backend = await start('backend');
  // A throwaway second first: the first seconds after the benchmark loops ran slow in every variant.
  const warm = await start('front', 'plain', String(backend.port));
  await autocannon({ url: `http://127.0.0.1:${warm.port}`, connections, duration: 2 });
  await stop(warm.child);
  const rates = Object.fromEntries(variants.map((v) => [v, []]));
  // The front's own CPU per request (user + system, from /proc, start-up included): steadier
  // than req/s, which on two cores also moves with autocannon's and the backend's share.
  const cpu = Object.fromEntries(variants.map((v) => [v, []]));
  // byhand: the same options set by the service itself (setsockopts on 'connection' and
  // after 'connect'): what the options cost without sockopt's policy machinery.
  // Each round the variants rotated by one, every other round reversed: each runs early and late.
  const order = (round) => {
    const k = round % variants.length;
    const o = [...variants.slice(k), ...variants.slice(0, k)];
    return round % 2 ? o.reverse() : o;
  };
  for (let round = 0; round < rounds; round++) {
    for (const variant of order(round)) {
      const front = await start('front', variant, String(backend.port));
      const result = await autocannon({ url: `http://127.0.0.1:${front.port}`, connections, duration: seconds });
      if (result.non2xx > 0 || result.errors > 0) console.error(`bench: ${variant}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      rates[variant].push(result.requests.average);
      cpu[variant].push(cpuSeconds(front.child.pid) * 1e6 / result.requests.total);
      await stop(front.child);
    }
    process.stderr.write(`http round ${round + 1}/${rounds} done\n`);
  }
  await stop(backend.child);
  const cpuPerRequest = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
  return { seconds, rounds, connections, ...Object.fromEntries(variants.map((v) => [v, median(rates[v])])), rates, cpuPerRequest, cpu };
}

function cpuSeconds(pid) {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

module.exports = { httpBench };

if (require.main === module) {
  const [rounds = '8', ...variants] = process.argv.slice(2);
  httpBench({ rounds: Number(rounds), variants: variants.length ? variants : ['tuned', 'tracked'] }).then((r) => {
    for (const [v, xs] of Object.entries(r.cpu)) console.log(`${v.padEnd(8)} CPU per request ${median(xs).toFixed(1)} µs  [${xs.map((x) => x.toFixed(0)).join(' ')}]  req/s ${r[v].toFixed(0)}`);
    for (const v of Object.keys(r.cpu)) {
      if (v === 'tuned' || !r.cpu.tuned) continue;
      const per = r.cpu.tuned.map((t, i) => t / r.cpu[v][i]);
      console.log(`tuned ÷ ${v} CPU per request (requests per CPU second, ${v} as a share of tuned): median ${median(per).toFixed(3)}  [${per.map((x) => x.toFixed(3)).join(' ')}]`);
    }
  }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
