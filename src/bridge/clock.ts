// A deterministic virtual clock with one-shot timers, in nanoseconds. Time moves only when
// the embedder (or the qtest front end) steps it; timers fire in deadline order, ties in
// the order they were armed, each seeing the clock at its own deadline.

export interface Timer {
  readonly name: string;
  /** Deadline in ns, or -1 when not armed. */
  readonly deadline: number;
  /** Arms (or re-arms) the timer to fire when the clock reaches `deadlineNs`. */
  mod(deadlineNs: number): void;
  /** Disarms the timer. */
  del(): void;
}

class ClockTimer implements Timer {
  deadline = -1;
  seq = 0;
  constructor(private readonly clock: VirtualClock, readonly name: string, readonly cb: (nowNs: number) => void) {}
  mod(deadlineNs: number): void {
    if (!Number.isFinite(deadlineNs)) throw new RangeError(`timer "${this.name}": deadline must be a finite number of ns, got ${deadlineNs}`);
    this.deadline = Math.max(0, Math.floor(deadlineNs));
    this.seq = this.clock.nextSeq();
  }
  del(): void {
    this.deadline = -1;
  }
}

export class VirtualClock {
  private nowNs = 0;
  private seq = 0;
  private readonly timers: ClockTimer[] = [];

  /** Current virtual time in ns. */
  now(): number {
    return this.nowNs;
  }

  /** Current virtual time in ms, rounded down, as QEMU's qemu_clock_get_ms. */
  nowMs(): number {
    return Math.floor(this.nowNs / 1e6);
  }

  createTimer(name: string, cb: (nowNs: number) => void): Timer {
    const t = new ClockTimer(this, name, cb);
    this.timers.push(t);
    return t;
  }

  /** @internal */
  nextSeq(): number {
    return ++this.seq;
  }

  /** Earliest armed deadline, or -1 when no timer is armed. */
  nextDeadline(): number {
    let best = -1;
    for (const t of this.timers) if (t.deadline >= 0 && (best < 0 || t.deadline < best)) best = t.deadline;
    return best;
  }

  /**
   * Advances the clock by `ns`, or, without an argument, to the next deadline (no change
   * when nothing is armed). Fires every timer that falls due on the way. Returns the new time.
   */
  step(ns?: number): number {
    if (ns === undefined) {
      const d = this.nextDeadline();
      return this.advanceTo(d < 0 ? this.nowNs : Math.max(d, this.nowNs));
    }
    if (!Number.isFinite(ns) || ns < 0) throw new RangeError(`VirtualClock.step: ns must be a non-negative number, got ${ns}`);
    return this.advanceTo(this.nowNs + Math.floor(ns));
  }

  /**
   * Sets the time without running timers (restoring a snapshot; the devices re-arm their
   * own timers from their snapshots afterwards).
   */
  restoreTime(ns: number): void {
    if (!Number.isFinite(ns) || ns < 0) throw new RangeError(`VirtualClock.restoreTime: ns must be a non-negative number, got ${ns}`);
    this.nowNs = Math.floor(ns);
  }

  /** Moves the clock forward to `targetNs` (never backwards), firing timers due on the way. */
  advanceTo(targetNs: number): number {
    for (;;) {
      let due: ClockTimer | null = null;
      for (const t of this.timers) {
        if (t.deadline >= 0 && t.deadline <= targetNs && (due === null || t.deadline < due.deadline || (t.deadline === due.deadline && t.seq < due.seq))) due = t;
      }
      if (due === null) break;
      if (due.deadline > this.nowNs) this.nowNs = due.deadline;
      due.deadline = -1;
      due.cb(this.nowNs);
    }
    if (targetNs > this.nowNs) this.nowNs = targetNs;
    return this.nowNs;
  }
}
