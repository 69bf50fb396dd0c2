// The host bridge / root complex side of a PCI hierarchy: owns the root bus, the memory and
// I/O spaces BARs decode into, INTx routing to the platform's interrupt controller, MSI
// delivery, and the routing of configuration cycles to a (bus, devfn) through the bridges'
// bus-number registers. Both config mechanisms (CF8/CFC and ECAM) come in through here.
import { DmaPort } from '../../bridge/dma.ts';
import type { DmaTranslator } from '../../bridge/types.ts';
import type { AddressSpace } from '../../bridge/address-space.ts';
import type { InterruptController, MsiRouter } from '../../bridge/irq.ts';
import type { DmaRequester, SnapshotData, Snapshottable, TraceHook } from '../../bridge/types.ts';
import { expectSnapshot } from '../../bridge/snapshot.ts';
import type { PciBridge } from './bridge.ts';
import { PciBus } from './bus.ts';
import { wireRequesterId } from './dma-alias.ts';
import type { PciFunction } from './function.ts';
import { PCI_CFG_SPACE_SIZE, pciFunc, pciSlot } from './regs.ts';

/** Where INTx lines of root-bus devices go: `map(devfn, pin)` (pin 0..3 = INTA..INTD after bridge swizzling) returns a controller input. */
export interface IntxRouting {
  readonly controller: InterruptController;
  map(devfn: number, pin: number): number;
}

/** Replaces the default MSI path (e.g. an IOMMU doing interrupt remapping or translating the write). */
export type MsiHandler = (address: number, data: number, requester: DmaRequester, fn: PciFunction) => void;

export interface PciHostOptions {
  readonly name?: string;
  /** Memory space: memory BARs are decoded here and DMA goes here. */
  readonly memory: AddressSpace;
  /** I/O-port space for I/O BARs (none: I/O BARs never decode). */
  readonly io?: AddressSpace | null;
  /** Where MSIs go by default (none: an MSI is a plain 4-byte DMA write). */
  readonly msi?: MsiRouter | null;
  readonly intx?: IntxRouting | null;
  readonly rootBusNumber?: number;
  readonly segment?: number;
  /**
   * Priority of BAR mappings in their AddressSpace. Default -1: RAM (priority 0) wins over a
   * BAR programmed on top of it, as on q35 where the PCI space sits below system RAM.
   */
  readonly barPriority?: number;
  /** Whether a BAR programmed at address 0 decodes (QEMU's pci_allow_0_address; false on pc/q35). */
  readonly allowZeroBarAddress?: boolean;
  readonly trace?: TraceHook;
}

export class PciHost implements Snapshottable {
  readonly name: string;
  readonly memory: AddressSpace;
  readonly io: AddressSpace | null;
  readonly rootBus: PciBus;
  readonly rootBusNumber: number;
  readonly segment: number;
  readonly barPriority: number;
  readonly allowZeroBarAddress: boolean;
  trace: TraceHook | undefined;
  private readonly msiRouter: MsiRouter | null;
  private msiHandler: MsiHandler | null = null;
  private readonly intx: IntxRouting | null;
  private readonly intxCounts = new Map<number, number>();
  /** Root-complex input each function's asserted INTx was counted on (so deassert hits the same line). */
  private readonly intxLines = new Map<PciFunction, number>();

  constructor(opts: PciHostOptions) {
    if (!opts?.memory) throw new TypeError('PciHost: options.memory (an AddressSpace) is required');
    this.name = opts.name ?? 'pci';
    this.memory = opts.memory;
    this.io = opts.io ?? null;
    this.msiRouter = opts.msi ?? null;
    this.intx = opts.intx ?? null;
    const rb = opts.rootBusNumber ?? 0;
    if (!Number.isInteger(rb) || rb < 0 || rb > 255) throw new RangeError(`PciHost: rootBusNumber must be 0..255, got ${rb}`);
    this.rootBusNumber = rb;
    this.segment = opts.segment ?? 0;
    this.barPriority = opts.barPriority ?? -1;
    this.allowZeroBarAddress = opts.allowZeroBarAddress ?? false;
    this.trace = opts.trace;
    this.rootBus = new PciBus(this, null);
  }

  /** The IOMMU in front of this host bridge (QEMU's pci_setup_iommu): every function's DMA goes through it. */
  private iommu: DmaTranslator | null = null;
  setIommu(t: DmaTranslator | null): void {
    this.iommu = t;
    for (const f of this.functions()) f.dma?.setTranslator(t);
  }

  /** Sets the trace hook of the host and of every attached function's DMA port. */
  setTrace(hook: TraceHook | undefined): void {
    this.trace = hook;
    for (const f of this.functions()) if (f.dma !== null) f.dma.trace = hook;
  }

  // ---- topology ------------------------------------------------------------------------------

  /** @internal Called by PciBus.addFunction. */
  attach(fn: PciFunction): void {
    fn.dma = new DmaPort({ name: fn.name, segment: this.segment, requesterId: 0, streamId: 0 }, this.memory);
    fn.dma.trace = this.trace;
    fn.dma.setTranslator(this.iommu);
    this.refresh();
  }

  /** @internal Called by PciBus.removeFunction. */
  detach(fn: PciFunction): void {
    const line = this.intxLines.get(fn);
    if (line !== undefined) this.countIntx(line, -1);
    this.intxLines.delete(fn);
    fn.unmapAll();
    fn.dma?.setEnabled(false);
    fn.dma = null;
  }

  /** Every function, depth-first in bus-walk order (parents before children). */
  functions(): PciFunction[] {
    const out: PciFunction[] = [];
    const walk = (bus: PciBus) => {
      for (const f of bus.functions()) {
        out.push(f);
        if (f.isBridge) walk((f as PciBridge).secondary);
      }
    };
    walk(this.rootBus);
    return out;
  }

  /**
   * Re-derives everything that depends on bridge registers: requester IDs (bus numbers),
   * effective bus mastering, and BAR decoding through the windows. Config writes that can
   * change any of these call it; embedders only need it after poking config bytes directly.
   */
  refresh(): void {
    for (const f of this.functions()) {
      f.updateRequester(wireRequesterId(f), this.segment);
      f.updateBusMaster();
      f.updateMappings();
    }
  }

  /** The bus that currently answers to `busNr`, following secondary/subordinate ranges. */
  findBus(busNr: number): PciBus | null {
    let bus: PciBus = this.rootBus;
    if (busNr === this.rootBusNumber) return bus;
    for (;;) {
      let next: PciBus | null = null;
      for (const br of bus.bridges()) {
        if (!br.claimsBus(busNr)) continue;
        next = br.secondary;
        break;
      }
      if (next === null) return null;
      if (next.number === busNr) return next;
      bus = next;
    }
  }

  /** The function at (bus, devfn), or null. */
  find(busNr: number, devfn: number): PciFunction | null {
    return this.findBus(busNr)?.at(devfn) ?? null;
  }

  // ---- configuration cycles ------------------------------------------------------------------

  /**
   * A configuration read as the root complex performs it. `limit` is what the mechanism can
   * reach (256 through CF8/CFC, the function's config size through ECAM). Nobody there, or an
   * offset beyond the limit: all-ones (master abort). An access running past the limit is
   * shortened and the missing bytes read as 0, like QEMU's pci_host_config_read_common.
   */
  configRead(busNr: number, devfn: number, off: number, len: 1 | 2 | 4, extended: boolean): number {
    const fn = this.find(busNr, devfn);
    if (fn === null) return ones(len);
    const limit = extended ? fn.cfg.size : PCI_CFG_SPACE_SIZE;
    if (off >= limit) return ones(len);
    return fn.configRead(off, Math.min(len, limit - off));
  }

  /** A configuration write; dropped when nobody answers or past the limit. */
  configWrite(busNr: number, devfn: number, off: number, len: 1 | 2 | 4, value: number, extended: boolean): void {
    const fn = this.find(busNr, devfn);
    if (fn === null) {
      this.trace?.({ kind: 'pci-config-unclaimed', source: this.name, bus: busNr, dev: pciSlot(devfn), fn: pciFunc(devfn), off, len, value });
      return;
    }
    const limit = extended ? fn.cfg.size : PCI_CFG_SPACE_SIZE;
    if (off >= limit) return;
    fn.configWrite(off, Math.min(len, limit - off), value);
  }

  // ---- interrupts ----------------------------------------------------------------------------

  /** @internal A function's routed INTx went up (+1) or down (-1). */
  intxChange(fn: PciFunction, delta: 1 | -1): void {
    if (delta > 0) {
      if (this.intx === null) return;
      let pin = fn.interruptPin - 1;
      let d: PciFunction = fn;
      // Standard bridge swizzle: INTx on device D behind a bridge becomes INT((D + x) mod 4) above it.
      while (d.bus !== null && d.bus.parent !== null) {
        pin = (pciSlot(d.devfn) + pin) % 4;
        d = d.bus.parent;
      }
      const line = this.intx.map(d.devfn, pin);
      this.intxLines.set(fn, line);
      this.countIntx(line, 1);
    } else {
      const line = this.intxLines.get(fn);
      if (line === undefined) return;
      this.intxLines.delete(fn);
      this.countIntx(line, -1);
    }
  }

  private countIntx(line: number, delta: number): void {
    // Shared lines are wired-OR: the input is high while any source drives it.
    const n = (this.intxCounts.get(line) ?? 0) + delta;
    this.intxCounts.set(line, n);
    this.intx!.controller.set(line, n > 0);
  }

  /** Installs (or removes, with null) a handler that takes over MSI delivery. */
  setMsiHandler(h: MsiHandler | null): void {
    this.msiHandler = h;
  }

  /** @internal An MSI write from `fn` (bus mastering already checked). */
  deliverMsi(fn: PciFunction, address: number, data: number): void {
    const port = fn.dmaPort;
    if (this.msiHandler !== null) {
      this.msiHandler(address, data, port.requester, fn);
      return;
    }
    if (this.msiRouter !== null) {
      this.msiRouter.deliver(address, data, port.requester);
      return;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, data >>> 0, true);
    port.write(address, b);
  }

  // ---- snapshots -----------------------------------------------------------------------------

  /** Topology path of a function: devfns from the root bus down, e.g. "1c.0/00.0". */
  pathOf(fn: PciFunction): string {
    const parts: string[] = [];
    for (let f: PciFunction | null = fn; f !== null && f.bus !== null; f = f.bus.parent) {
      parts.unshift(`${pciSlot(f.devfn).toString(16).padStart(2, '0')}.${pciFunc(f.devfn)}`);
    }
    return parts.join('/');
  }

  snapshot(): SnapshotData {
    const functions: Record<string, SnapshotData> = {};
    for (const f of this.functions()) functions[this.pathOf(f)] = f.snapshot();
    return { type: 'pci-host', version: 1, state: { functions } };
  }

  restore(data: SnapshotData): void {
    const s = expectSnapshot(data, 'pci-host', 1) as { functions: Record<string, SnapshotData> };
    const fns = this.functions();
    const paths = new Set(fns.map((f) => this.pathOf(f)));
    for (const p of Object.keys(s.functions)) {
      if (!paths.has(p)) throw new Error(`restore(pci-host): snapshot has a function at ${p} that this topology lacks`);
    }
    for (const f of fns) {
      const d = s.functions[this.pathOf(f)];
      if (d === undefined) throw new Error(`restore(pci-host): snapshot lacks the function at ${this.pathOf(f)} (${f.name})`);
      f.restore(d);
    }
    this.refresh();
  }
}

function ones(len: number): number {
  return len === 4 ? 0xffffffff : len === 2 ? 0xffff : 0xff;
}
