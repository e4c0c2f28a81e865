// The measuring loop of bench/connections.js and bench/policy-breakdown.js: each variant
// installed in turn (the order rotated round by round, so none always runs first or
// after the same neighbour), `work()` run under it, and this process's CPU (user +
// system, process.cpuUsage) divided by `units`. Returns { variant: [µs per unit, …] }.
'use strict';

/**
 * @param {Record<string, () => () => void>} variants install a variant, return its off()
 * @param {number} rounds
 * @param {() => Promise<void>} work
 * @param {number} units what `work` does once (connections, requests)
 */
async function cpuRounds(variants, rounds, work, units) {
  const names = Object.keys(variants);
  const cpu = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of [...names.slice(round % names.length), ...names.slice(0, round % names.length)]) {
      const off = variants[name]();
      const before = process.cpuUsage();
      await work();
      const d = process.cpuUsage(before);
      off();
      cpu[name].push((d.user + d.system) / units);
    }
  }
  return cpu;
}

module.exports = { cpuRounds };
