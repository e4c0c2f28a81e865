// Before each test, one full turn of the event loop (poll phase included), so the vitest
// worker reads its runner's RPC replies between tests. Synchronous tests run back to back
// through microtasks alone, so a file of them (in-process reads of large targets, spawnSync)
// held the worker's loop for its whole length, and a reply left unread too long fails the
// run ("Timeout calling onTaskUpdate") with every test passed: CONTRIBUTING.md.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
