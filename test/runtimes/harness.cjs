// A small test runner for Bun and Deno (vitest does not run there): test(name, fn) runs
// each async test in order with a timeout, prints "ok"/"not ok" per test and, last, one
// plain line "N passed, N failed"; exits non-zero when anything failed. No skips: a test
// either passes or fails.
'use strict';
const tests = [];
const test = (name, fn, timeoutMs = 45000) => tests.push({ name, fn, timeoutMs });

function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}
function equal(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}
function throwsCode(fn, code, message) {
  try {
    fn();
  } catch (err) {
    if (err && err.code === code) return err;
    throw new Error(`${message}: expected a throw with code ${code}, got ${err && err.code}: ${err && err.message}`, { cause: err });
  }
  throw new Error(`${message}: expected a throw with code ${code}, nothing was thrown`);
}

async function run(label) {
  let passed = 0;
  let failed = 0;
  for (const t of tests) {
    const t0 = Date.now();
    let timer;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      passed++;
      console.log(`ok   ${label} ${t.name} (${Date.now() - t0} ms)`);
    } catch (err) {
      failed++;
      console.log(`not ok ${label} ${t.name}: ${err && err.stack ? err.stack : err}`);
    } finally {
      clearTimeout(timer);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
  // Let stdout drain, then leave even if a runtime keeps a handle alive.
  setTimeout(() => process.exit(failed === 0 ? 0 : 1), 50).unref?.();
}

module.exports = { test, run, assert, equal, throwsCode };
