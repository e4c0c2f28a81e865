// Before each test, one full turn of the event loop (poll phase included), so the vitest
// worker reads its runner's RPC replies between tests. Synchronous tests run back to back
// through microtasks alone; in a file of them (in-process reads of large targets, spawnSync)
// the worker's loop was held for 22 s on an idle 2-core machine, and a reply left unread
// for 60 s fails the run ("Timeout calling onTaskUpdate") with every test passed.
import { beforeEach } from 'vitest';

beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
