// What every machine has: one WASM core holding guest RAM, the system memory space, an
// optional I/O-port space, a virtual clock, an interrupt controller, an MSI router and a
// trace hook shared by all of them. Board files (q35.ts, virt.ts) add the address map
// and the PCI host.
import { AddressSpace } from '../../bridge/address-space.ts';
import { VirtualClock } from '../../bridge/clock.ts';
import { WasmRam } from '../../bridge/guest-ram.ts';
import { InterruptController, MsiRouter } from '../../bridge/irq.ts';
import type { SnapshotData, Snapshottable, TraceEvent, TraceHook } from '../../bridge/types.ts';
import { expectSnapshot } from '../../bridge/snapshot.ts';
import { Core } from '../../core/core.ts';
import type { QtestMachine } from '../machine-types.ts';

export interface RamRange {
  /** Guest-physical base. */
  readonly base: number;
  readonly size: number;
  /** Offset of this range within the machine's single RAM block. */
  readonly ramOffset: number;
}

export abstract class Machine implements QtestMachine, Snapshottable {
  abstract readonly name: string;
  readonly bigEndian = false;
  readonly core = new Core();
  readonly clock = new VirtualClock();
  readonly memory: AddressSpace;
  readonly ram: WasmRam;
  readonly ramRanges: readonly RamRange[];
  private traceHooks: TraceHook[] = [];
  private readonly fanout: TraceHook = (e: TraceEvent) => {
    for (const h of this.traceHooks) h(e);
  };

  constructor(
    readonly ramSize: number,
    ranges: readonly RamRange[],
    readonly irqs: InterruptController,
    msiWindow: { base: number; size: number },
  ) {
    // QEMU's system memory answers 0 for holes (unassigned_mem_read); all-ones is the PCI
    // master-abort answer of the I/O space and of the PCI windows, which boards map
    // explicitly where QEMU has them.
    this.memory = new AddressSpace({ name: 'memory', unmappedRead: 'zero' });
    this.ram = new WasmRam(this.core, ramSize, 'ram');
    this.ramRanges = ranges;
    for (const r of ranges) {
      this.memory.mapRam(r.base, this.ram, r.ramOffset, r.size);
      // The walker in core.wasm reaches the same bytes through its own range table.
      this.core.exports.ram_map(r.base, r.size, this.ram.coreOffset + r.ramOffset);
    }
    this.msi = new MsiRouter(this.memory, msiWindow.base, msiWindow.size);
  }

  readonly msi: MsiRouter;
  abstract readonly io: AddressSpace | null;

  /** Zero-copy view of all guest RAM (the ranges of `ramRanges`, back to back). */
  ramView(): Uint8Array {
    return this.ram.view();
  }

  /** Adds a trace hook for every bus, device and interrupt event; returns a remover. */
  onTrace(hook: TraceHook): () => void {
    if (this.traceHooks.length === 0) this.attachTrace(this.fanout);
    this.traceHooks.push(hook);
    return () => {
      const i = this.traceHooks.indexOf(hook);
      if (i >= 0) this.traceHooks.splice(i, 1);
      if (this.traceHooks.length === 0) this.attachTrace(undefined);
    };
  }

  /** Installs (or removes) the fan-out hook on every traced component of the board. */
  protected attachTrace(hook: TraceHook | undefined): void {
    this.memory.setTrace(hook);
    this.io?.setTrace(hook);
    this.irqs.trace = hook;
    this.msi.trace = hook;
  }

  clockStep(ns?: number): number {
    return this.clock.step(ns);
  }

  clockSet(ns: number): number {
    return this.clock.advanceTo(ns);
  }

  /**
   * QOM-style path resolution for qtest: an absolute path must name a device exactly; a
   * partial path ("ioapic") must match the tail of exactly one device's path, as QEMU's
   * object_resolve_path does.
   */
  resolveDevice(path: string): string | null {
    const all = this.devicePaths();
    if (path.startsWith('/')) return all.includes(path) ? path : null;
    const hits = all.filter((p) => p.endsWith('/' + path));
    return hits.length === 1 ? hits[0]! : null;
  }

  /**
   * qtest irq_intercept_in/out on a resolved device path. Intercepting the interrupt
   * controller's inputs reports every INTx level change; other devices are accepted (QEMU
   * answers OK for a device without unnamed GPIOs) and never report.
   */
  interceptIrqs(path: string, direction: 'in' | 'out', sink: (line: number, level: boolean) => void): boolean {
    const p = path.startsWith('/') ? path : this.resolveDevice(path);
    if (p === null || !this.devicePaths().includes(p)) return false;
    if (direction === 'in' && this.irqControllerPaths().includes(p)) this.irqs.listen(sink);
    return true;
  }

  /**
   * Device state of the whole board: clock, interrupt levels, every PCI function (config
   * space and device registers, pending DMA timers) and board registers. Guest RAM is not
   * included: the embedder owns it through ramView() and saves it as it sees fit.
   */
  snapshot(): SnapshotData {
    const levels: number[] = [];
    for (let i = 0; i < this.irqs.lines; i++) if (this.irqs.level(i)) levels.push(i);
    return { type: `machine.${this.name}`, version: 1, state: { clockNs: this.clock.now(), irqLevels: levels, board: this.boardState() } };
  }

  restore(data: SnapshotData): void {
    const st = expectSnapshot(data, `machine.${this.name}`, 1) as { clockNs: number; irqLevels: number[]; board: unknown };
    this.clock.restoreTime(st.clockNs);
    this.loadBoardState(st.board);
    for (let i = 0; i < this.irqs.lines; i++) this.irqs.set(i, st.irqLevels.includes(i));
  }

  protected abstract boardState(): unknown;
  protected abstract loadBoardState(state: unknown): void;

  /** Paths of the interrupt controller whose inputs qtest may intercept. */
  protected abstract irqControllerPaths(): string[];

  /** Canonical QOM paths of every device qtest may name. */
  protected abstract devicePaths(): string[];
}

/**
 * QOM paths QEMU 7.2 answers irq_intercept_in/out with OK on every board: the containers
 * of user devices and of unnamed board devices (qtest casts whatever the path names),
 * and /machine/unattached/device[0..lastUnattached], the board's unnamed devices, whose
 * number was measured per board (see test/machines/qom-paths.test.ts).
 */
export function commonQomPaths(lastUnattached: number): string[] {
  const paths = ['/machine/unattached', '/machine/peripheral', '/machine/peripheral-anon'];
  for (let i = 0; i <= lastUnattached; i++) paths.push(`/machine/unattached/device[${i}]`);
  return paths;
}
