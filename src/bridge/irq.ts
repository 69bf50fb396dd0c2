// Interrupt outputs. Wired lines belong to an interrupt controller (the IOAPIC on q35, the
// GIC on virt) that forwards level changes to the embedder and to any qtest interceptor.
// MSIs are memory writes: one that targets the platform's interrupt window goes to the
// embedder's callback, any other lands in the address space like a DMA write.
import type { AddressSpace } from './address-space.ts';
import type { DmaRequester, IrqCallback, MsiCallback, TraceHook } from './types.ts';

/** A bank of wired interrupt inputs, e.g. IOAPIC pins or GIC SPIs. */
export class InterruptController {
  private readonly levels: Uint8Array;
  private readonly listeners: IrqCallback[] = [];
  trace: TraceHook | undefined;

  constructor(readonly name: string, readonly lines: number) {
    this.levels = new Uint8Array(lines);
  }

  /** Adds a callback for every level change; returns a function that removes it. */
  listen(cb: IrqCallback): () => void {
    this.listeners.push(cb);
    return () => {
      const i = this.listeners.indexOf(cb);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  level(line: number): boolean {
    return this.levels[this.check(line)] === 1;
  }

  /** Sets a line's level; only changes are reported, as on a real wire. */
  set(line: number, level: boolean): void {
    const l = this.check(line);
    const v = level ? 1 : 0;
    if (this.levels[l] === v) return;
    this.levels[l] = v;
    this.trace?.({ kind: 'irq', source: this.name, line: l, level });
    for (const cb of this.listeners) cb(l, level);
  }

  /** A handle on one input, for a device to drive. */
  line(line: number): IrqLine {
    return new IrqLine(this, this.check(line));
  }

  private check(line: number): number {
    if (!Number.isInteger(line) || line < 0 || line >= this.lines) {
      throw new RangeError(`${this.name}: interrupt line ${line} does not exist (0..${this.lines - 1})`);
    }
    return line;
  }
}

/** One wired interrupt output of a device. */
export class IrqLine {
  constructor(readonly controller: InterruptController, readonly index: number) {}
  set(level: boolean): void {
    this.controller.set(this.index, level);
  }
  raise(): void {
    this.controller.set(this.index, true);
  }
  lower(): void {
    this.controller.set(this.index, false);
  }
  get level(): boolean {
    return this.controller.level(this.index);
  }
}

/** Routes MSIs: writes into the platform's MSI window are interrupts, others are memory writes. */
export class MsiRouter {
  private readonly listeners: MsiCallback[] = [];
  trace: TraceHook | undefined;

  constructor(
    private readonly memory: AddressSpace,
    /** [base, base+size) of the interrupt window (0xFEE00000/1 MiB on x86); size 0 for none. */
    readonly windowBase: number,
    readonly windowSize: number,
  ) {}

  listen(cb: MsiCallback): () => void {
    this.listeners.push(cb);
    return () => {
      const i = this.listeners.indexOf(cb);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Delivers a 32-bit MSI write of `data` to `address` on behalf of `requester`. */
  deliver(address: number, data: number, requester: DmaRequester | null): void {
    this.trace?.({ kind: 'msi', source: requester?.name ?? 'platform', address, data });
    if (address >= this.windowBase && address < this.windowBase + this.windowSize) {
      for (const cb of this.listeners) cb(address, data >>> 0, requester);
      return;
    }
    this.memory.write(address, 4, data >>> 0);
  }
}
