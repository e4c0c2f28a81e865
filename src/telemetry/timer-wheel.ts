// One timer for many deadlines: a hashed timer wheel (Varghese & Lauck). Each entry
// sits in the slot of its due tick; the wheel sleeps until the next occupied slot,
// so an empty wheel costs nothing and N connections cost one unref'd timer, not N.
// Deadlines are rounded up to the tick: callers that jitter their periods (telemetry
// samples at 90–110 % of an interval) do not need finer than that.

/** What the wheel keeps on an entry: its due tick and whether it is scheduled. */
export interface WheelEntry {
  /** Absolute tick number at which the entry fires; -1 while not scheduled. */
  wheelDue: number;
}

export class TimerWheel<E extends WheelEntry> {
  private readonly slots: Set<E>[];
  private count = 0;
  /** Last tick whose slot has been processed. */
  private cursor: number;
  private timer: NodeJS.Timeout | null = null;
  private armedFor = -1;
  private running = false;

  /**
   * @param fire called with each entry whose deadline has passed (the entry is already
   *   unscheduled; it may schedule itself again). Must not throw.
   * @param tickMs resolution, ms.
   * @param slotCount slots per turn; deadlines beyond a turn wait for their round.
   */
  constructor(
    private readonly fire: (entry: E) => void,
    private readonly tickMs = 10,
    private readonly slotCount = 1024,
  ) {
    this.slots = Array.from({ length: slotCount }, () => new Set<E>());
    this.cursor = this.tick();
  }

  /** Entries scheduled. */
  get size(): number {
    return this.count;
  }

  /**
   * Schedules (or reschedules) `entry` to fire after `delayMs` (ms, rounded up to the tick,
   * at least one tick). With `slackMs`, the deadline is rounded up to a multiple of that
   * many ms (in whole ticks), so entries with the same slack share wake-ups.
   */
  schedule(entry: E, delayMs: number, slackMs = 0): void {
    if (entry.wheelDue >= 0) this.cancel(entry);
    let due = Math.ceil((performance.now() + delayMs) / this.tickMs);
    const slack = Math.floor(slackMs / this.tickMs);
    if (slack > 1) due = Math.ceil(due / slack) * slack;
    due = Math.max(this.cursor + 1, due);
    entry.wheelDue = due;
    this.slots[due % this.slotCount]!.add(entry);
    this.count++;
    // While run() fires entries it re-arms once at its end, from the slots themselves.
    if (!this.running && (this.armedFor < 0 || due < this.armedFor)) this.arm(due);
  }

  /** Unschedules every entry `which` selects and returns them (O(entries): for rare bulk removals such as stop()). */
  remove(which: (entry: E) => boolean): E[] {
    const removed: E[] = [];
    for (const slot of this.slots) {
      for (const entry of slot) {
        if (!which(entry)) continue;
        slot.delete(entry);
        this.count--;
        entry.wheelDue = -1;
        removed.push(entry);
      }
    }
    return removed;
  }

  /** The wheel's resolution, ms. */
  get resolution(): number {
    return this.tickMs;
  }

  /** Removes `entry` if scheduled (O(1)). */
  cancel(entry: E): void {
    if (entry.wheelDue < 0) return;
    if (this.slots[entry.wheelDue % this.slotCount]!.delete(entry)) this.count--;
    entry.wheelDue = -1;
    // The timer is left armed when the wheel empties: it fires once, finds nothing and stops.
    // Disarming here would make short-lived entries (a connection per request) cost a
    // clearTimeout and a setTimeout each.
  }

  private tick(): number {
    return Math.floor(performance.now() / this.tickMs);
  }

  private arm(due: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = due;
    // +1 ms: Node's timers count whole milliseconds and may fire up to 1 ms before the
    // fractional deadline, which would cost a second wake-up to find the tick not yet due.
    this.timer = setTimeout(this.run, Math.max(0, Math.ceil(due * this.tickMs - performance.now())) + 1);
    this.timer.unref(); // telemetry must never keep a process alive
  }

  private readonly run = (): void => {
    this.timer = null;
    this.armedFor = -1;
    this.running = true;
    const now = this.tick();
    // Catch up on every tick since the last run; one turn visits every slot, so a
    // stalled event loop costs at most slotCount slot visits.
    const from = Math.max(this.cursor + 1, now - this.slotCount + 1);
    try {
      for (let t = from; t <= now; t++) {
        const slot = this.slots[t % this.slotCount]!;
        if (slot.size === 0) continue;
        for (const entry of slot) {
          if (entry.wheelDue > now) continue; // a later round of this slot
          slot.delete(entry);
          this.count--;
          entry.wheelDue = -1;
          this.fire(entry);
        }
      }
    } finally {
      this.cursor = now;
      this.running = false;
      if (this.count > 0) this.arm(this.nextOccupied(now));
    }
  };

  /** The first tick after `now` whose slot holds anything (its entries may be due in a later round). */
  private nextOccupied(now: number): number {
    for (let t = now + 1; t <= now + this.slotCount; t++) {
      if (this.slots[t % this.slotCount]!.size > 0) return t;
    }
    return now + this.slotCount;
  }
}

