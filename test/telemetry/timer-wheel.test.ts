// The timer wheel behind trackConnections: deadlines never early, cancel, reschedule from
// inside a firing, slack grids, and a wheel that empties and refills.
import { describe, expect, it } from 'vitest';
import { TimerWheel, type WheelEntry } from '../../src/telemetry/timer-wheel';

interface E extends WheelEntry {
  id: number;
  at: number;
  due: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe('TimerWheel', () => {
  it('fires each entry once, never before its deadline, and cancelled ones never', async () => {
    const fired: E[] = [];
    const wheel = new TimerWheel<E>((e) => {
      e.at = performance.now();
      fired.push(e);
    });
    const start = performance.now();
    const entries = Array.from({ length: 300 }, (_, id) => ({ id, wheelDue: -1, at: 0, due: start + ((id * 7) % 400) }));
    for (const e of entries) wheel.schedule(e, e.due - start);
    expect(wheel.size).toBe(300);
    for (const e of entries.slice(0, 100)) wheel.cancel(e);
    wheel.cancel(entries[0]!); // twice: no effect
    expect(wheel.size).toBe(200);
    await until(() => fired.length === 200);
    await sleep(50);
    expect(fired).toHaveLength(200);
    expect(new Set(fired.map((e) => e.id)).size).toBe(200);
    expect(fired.every((e) => e.id >= 100)).toBe(true);
    // Rounded up to the 10 ms tick and fired by Node's ms timers: never before the deadline (1 ms of timer rounding).
    for (const e of fired) expect(e.at).toBeGreaterThanOrEqual(e.due - 1);
    expect(wheel.size).toBe(0);
  });

  it('lets an entry reschedule itself from inside fire, and refills after emptying', async () => {
    let count = 0;
    const wheel: TimerWheel<E> = new TimerWheel<E>((e) => {
      count++;
      if (count < 5) wheel.schedule(e, 20);
    });
    const e: E = { id: 1, wheelDue: -1, at: 0, due: 0 };
    wheel.schedule(e, 20);
    await until(() => count === 5);
    expect(wheel.size).toBe(0);
    await sleep(30);
    wheel.schedule(e, 10); // after the wheel went idle
    await until(() => count === 6);
  });

  it('puts entries with slack on a shared grid: many deadlines, few distinct firing ticks', async () => {
    const ticks = new Set<number>();
    let fired = 0;
    const wheel = new TimerWheel<E>((e) => {
      fired++;
      ticks.add(e.due);
    }, 10, 64);
    const start = performance.now();
    for (let id = 0; id < 200; id++) {
      const e: E = { id, wheelDue: -1, at: 0, due: 0 };
      wheel.schedule(e, 50 + Math.random() * 200, 100);
      e.due = e.wheelDue;
      expect(e.wheelDue % 10).toBe(0); // 100 ms slack = 10 ticks
    }
    // Deadlines spread over 200 ms, plus however long the loop itself took (a loaded
    // machine can stall it past a grid line), land on that span's grid points only.
    const spread = 200 + (performance.now() - start);
    await until(() => fired === 200);
    expect(ticks.size).toBeLessThanOrEqual(Math.ceil(spread / 100) + 1); // ≤ 4 when the loop takes under 100 ms
  });

  it('keeps deadlines beyond one turn of the wheel for their round', async () => {
    let at = 0;
    const wheel = new TimerWheel<E>(() => (at = performance.now()), 10, 8); // one turn = 80 ms
    const start = performance.now();
    wheel.schedule({ id: 1, wheelDue: -1, at: 0, due: 0 }, 250);
    await until(() => at > 0);
    expect(at - start).toBeGreaterThanOrEqual(249);
  });
});
