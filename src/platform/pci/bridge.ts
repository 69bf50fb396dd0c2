// PCI-to-PCI bridges (type 1 header): bus numbers, forwarding windows, bridge control, and
// the PCIe flavours (root port, switch upstream/downstream port, PCIe-to-PCI bridge) that
// differ only in their PCIe capability's port type — which is what decides DMA aliasing.
import { PciBus } from './bus.ts';
import { PciFunction, type PciFunctionOptions } from './function.ts';
import {
  PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_BUS_RESET, PCI_BRIDGE_CTL_FAST_BACK, PCI_BRIDGE_CTL_ISA,
  PCI_BRIDGE_CTL_MASTER_ABORT, PCI_BRIDGE_CTL_PARITY, PCI_BRIDGE_CTL_SERR, PCI_BRIDGE_CTL_VGA,
  PCI_BRIDGE_CTL_VGA_16BIT, PCI_BRIDGE_IO_GRANULE, PCI_BRIDGE_MEM_GRANULE, PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY, PCI_HEADER_TYPE_BRIDGE, PCI_IO_BASE, PCI_IO_BASE_UPPER16, PCI_IO_LIMIT,
  PCI_IO_LIMIT_UPPER16, PCI_IO_RANGE_TYPE_32, PCI_IO_RANGE_TYPE_MASK, PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT, PCI_PREF_BASE_UPPER32, PCI_PREF_LIMIT_UPPER32, PCI_PREF_MEMORY_BASE,
  PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64, PCI_PREF_RANGE_TYPE_MASK, PCI_PRIMARY_BUS,
  PCI_SEC_STATUS, PCI_SECONDARY_BUS, PCI_STATUS_ERROR_BITS, PCI_SUBORDINATE_BUS, PCI_SEC_LATENCY_TIMER,
  PCI_STATUS, PCI_STATUS_66MHZ, PCI_STATUS_FAST_BACK, PCI_CLASS_BRIDGE_PCI,
} from './regs.ts';

export interface PciBridgeOptions extends Omit<PciFunctionOptions, 'classCode' | 'subsystemVendorId' | 'subsystemId'> {
  readonly classCode?: number;
  /** 32-bit I/O addressing (I/O Base/Limit Upper 16 Bits implemented). Default false, like QEMU. */
  readonly io32?: boolean;
  /** 64-bit prefetchable window (default true, like QEMU). */
  readonly pref64?: boolean;
  /**
   * Linux PCI_DEV_FLAG_PCIE_BRIDGE_ALIAS: a conventional bridge known to alias like a
   * PCIe-to-PCI bridge, to (secondary bus, 00.0).
   */
  readonly pcieBridgeAlias?: boolean;
  /** Linux PCI_DEV_FLAGS_PCI_BRIDGE_NO_ALIAS: a PCIe-to-PCI bridge that forwards downstream RIDs untouched. */
  readonly noAlias?: boolean;
  /** Linux PCI_DEV_FLAGS_BRIDGE_XLATE_ROOT: translation happens at this bridge; alias walks stop here. */
  readonly xlateRoot?: boolean;
}

/** Bridge Control bits software may write (QEMU pci_init_mask_bridge, plus the PCI bridge spec's timers). */
const BRIDGE_CTL_RW = PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR | PCI_BRIDGE_CTL_ISA | PCI_BRIDGE_CTL_VGA |
  PCI_BRIDGE_CTL_VGA_16BIT | PCI_BRIDGE_CTL_MASTER_ABORT | PCI_BRIDGE_CTL_BUS_RESET | PCI_BRIDGE_CTL_FAST_BACK |
  0x0100 /* primary discard timeout */ | 0x0200 /* secondary discard timeout */ | 0x0800 /* discard timer SERR# enable */;
/** Bridge Control bits writable on a PCIe bridge: parity, SERR, ISA, VGA, VGA 16-bit, bus reset. */
const BRIDGE_CTL_RW_PCIE = PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR | PCI_BRIDGE_CTL_ISA | PCI_BRIDGE_CTL_VGA |
  PCI_BRIDGE_CTL_VGA_16BIT | PCI_BRIDGE_CTL_BUS_RESET;
/** Discard Timer Status, RW1C. */
const BRIDGE_CTL_DISCARD_STATUS = 0x0400;

/** A [base, limit] window (inclusive); null when closed (base > limit). */
export interface Window {
  readonly base: number;
  readonly limit: number;
}

export class PciBridge extends PciFunction {
  readonly secondary: PciBus;
  readonly pcieBridgeAlias: boolean;
  readonly noAlias: boolean;
  readonly xlateRoot: boolean;

  constructor(opts: PciBridgeOptions) {
    super({ ...opts, classCode: opts.classCode ?? PCI_CLASS_BRIDGE_PCI }, PCI_HEADER_TYPE_BRIDGE);
    this.pcieBridgeAlias = opts.pcieBridgeAlias ?? false;
    this.noAlias = opts.noAlias ?? false;
    this.xlateRoot = opts.xlateRoot ?? false;
    const c = this.cfg;
    // Primary, secondary, subordinate bus and secondary latency timer are RW.
    c.setWmask(PCI_PRIMARY_BUS, 1, 0xff);
    c.setWmask(PCI_SECONDARY_BUS, 1, 0xff);
    c.setWmask(PCI_SUBORDINATE_BUS, 1, 0xff);
    c.setWmask(PCI_SEC_LATENCY_TIMER, 1, 0xff);
    // Windows: the address bits are RW, the low nibble tells the addressing capability (RO).
    const io32 = opts.io32 ?? false;
    c.set8(PCI_IO_BASE, io32 ? PCI_IO_RANGE_TYPE_32 : 0);
    c.set8(PCI_IO_LIMIT, io32 ? PCI_IO_RANGE_TYPE_32 : 0);
    c.setWmask(PCI_IO_BASE, 1, 0xf0);
    c.setWmask(PCI_IO_LIMIT, 1, 0xf0);
    if (io32) {
      c.setWmask(PCI_IO_BASE_UPPER16, 2, 0xffff);
      c.setWmask(PCI_IO_LIMIT_UPPER16, 2, 0xffff);
    }
    c.setWmask(PCI_MEMORY_BASE, 2, 0xfff0);
    c.setWmask(PCI_MEMORY_LIMIT, 2, 0xfff0);
    const pref64 = opts.pref64 ?? true;
    c.set16(PCI_PREF_MEMORY_BASE, pref64 ? PCI_PREF_RANGE_TYPE_64 : 0);
    c.set16(PCI_PREF_MEMORY_LIMIT, pref64 ? PCI_PREF_RANGE_TYPE_64 : 0);
    c.setWmask(PCI_PREF_MEMORY_BASE, 2, 0xfff0);
    c.setWmask(PCI_PREF_MEMORY_LIMIT, 2, 0xfff0);
    if (pref64) {
      c.setWmask(PCI_PREF_BASE_UPPER32, 4, 0xffffffff);
      c.setWmask(PCI_PREF_LIMIT_UPPER32, 4, 0xffffffff);
    }
    const express = this.isExpress;
    // PCIe bridges hardwire Master Abort Mode, Fast Back-to-Back and the discard timers to 0
    // (PCIe Base spec 7.5.1.3.13); QEMU's PCIe ports expose exactly 0x005f.
    c.setWmask(PCI_BRIDGE_CONTROL, 2, express ? BRIDGE_CTL_RW_PCIE : BRIDGE_CTL_RW);
    if (!express) c.setW1cmask(PCI_BRIDGE_CONTROL, 2, BRIDGE_CTL_DISCARD_STATUS);
    // Secondary status error bits are RW1C. 66 MHz / fast back-to-back capable are
    // conventional-PCI bits: set on a PCI bridge (as QEMU's pci-bridge), 0 on PCIe.
    c.setW1cmask(PCI_SEC_STATUS, 2, PCI_STATUS_ERROR_BITS);
    if (!express) {
      c.set16(PCI_SEC_STATUS, PCI_STATUS_66MHZ | PCI_STATUS_FAST_BACK);
      c.set16(PCI_STATUS, c.get16(PCI_STATUS) | PCI_STATUS_66MHZ | PCI_STATUS_FAST_BACK);
    } else {
      // Windows start closed (base above limit), as QEMU's PCIe ports reset them
      // (pci_bridge_disable_base_limit); a conventional bridge resets them to 0.
      c.set8(PCI_IO_BASE, c.get8(PCI_IO_BASE) | 0xf0);
      c.set16(PCI_MEMORY_BASE, 0xfff0);
      c.set16(PCI_PREF_MEMORY_BASE, c.get16(PCI_PREF_MEMORY_BASE) | 0xfff0);
    }
    this.captureResetImage();
    this.secondary = new PciBus(null, this);
  }

  get primaryBusNumber(): number {
    return this.cfg.get8(PCI_PRIMARY_BUS);
  }
  get secondaryBusNumber(): number {
    return this.cfg.get8(PCI_SECONDARY_BUS);
  }
  get subordinateBusNumber(): number {
    return this.cfg.get8(PCI_SUBORDINATE_BUS);
  }
  get bridgeControl(): number {
    return this.cfg.get16(PCI_BRIDGE_CONTROL);
  }
  /** Secondary Bus Reset asserted: nothing below answers. */
  get inBusReset(): boolean {
    return (this.bridgeControl & PCI_BRIDGE_CTL_BUS_RESET) !== 0;
  }

  /** True when a type 1 config cycle for `bus` is claimed (secondary <= bus <= subordinate). */
  claimsBus(bus: number): boolean {
    return !this.inBusReset && this.secondaryBusNumber <= bus && bus <= this.subordinateBusNumber;
  }

  /** Memory window (1 MiB granularity). */
  memWindow(): Window | null {
    const base = (this.cfg.get16(PCI_MEMORY_BASE) & 0xfff0) * 0x10000;
    const limit = (this.cfg.get16(PCI_MEMORY_LIMIT) & 0xfff0) * 0x10000 + PCI_BRIDGE_MEM_GRANULE - 1;
    return base <= limit ? { base, limit } : null;
  }

  /** Prefetchable memory window (1 MiB granularity, 64-bit when implemented). */
  prefWindow(): Window | null {
    const b = this.cfg.get16(PCI_PREF_MEMORY_BASE);
    const l = this.cfg.get16(PCI_PREF_MEMORY_LIMIT);
    const is64 = (b & PCI_PREF_RANGE_TYPE_MASK) === PCI_PREF_RANGE_TYPE_64;
    const bu = is64 ? this.cfg.get32(PCI_PREF_BASE_UPPER32) : 0;
    const lu = is64 ? this.cfg.get32(PCI_PREF_LIMIT_UPPER32) : 0;
    const base = bu * 2 ** 32 + (b & 0xfff0) * 0x10000;
    const limit = lu * 2 ** 32 + (l & 0xfff0) * 0x10000 + PCI_BRIDGE_MEM_GRANULE - 1;
    return base <= limit ? { base, limit } : null;
  }

  /** I/O window (4 KiB granularity, 32-bit when implemented). */
  ioWindow(): Window | null {
    const b = this.cfg.get8(PCI_IO_BASE);
    const l = this.cfg.get8(PCI_IO_LIMIT);
    const is32 = (b & PCI_IO_RANGE_TYPE_MASK) === PCI_IO_RANGE_TYPE_32;
    const base = (is32 ? this.cfg.get16(PCI_IO_BASE_UPPER16) * 0x10000 : 0) + (b & 0xf0) * 0x100;
    const limit = (is32 ? this.cfg.get16(PCI_IO_LIMIT_UPPER16) * 0x10000 : 0) + (l & 0xf0) * 0x100 + PCI_BRIDGE_IO_GRANULE - 1;
    return base <= limit ? { base, limit } : null;
  }

  /**
   * Whether this bridge passes a downstream access to [addr, addr+size): its Memory (or I/O)
   * Space enable must be set and the range must lie inside a window. A BAR straddling a
   * window edge is treated as not forwarded (QEMU would expose the part inside).
   */
  forwards(io: boolean, addr: number, size: number): boolean {
    const cmd = this.command;
    const end = addr + size - 1;
    if (io) {
      if ((cmd & PCI_COMMAND_IO) === 0) return false;
      const w = this.ioWindow();
      return w !== null && addr >= w.base && end <= w.limit;
    }
    if ((cmd & PCI_COMMAND_MEMORY) === 0) return false;
    const m = this.memWindow();
    if (m !== null && addr >= m.base && end <= m.limit) return true;
    const p = this.prefWindow();
    return p !== null && addr >= p.base && end <= p.limit;
  }

  protected override onConfigWrite(off: number, len: number, oldCommand: number): void {
    void oldCommand;
    const end = off + len;
    const oldCtl = this.lastBridgeControl;
    this.lastBridgeControl = this.bridgeControl;
    // Secondary Bus Reset: a 0 -> 1 transition resets everything below (as QEMU does).
    if (off < PCI_BRIDGE_CONTROL + 2 && end > PCI_BRIDGE_CONTROL && (~oldCtl & this.bridgeControl & PCI_BRIDGE_CTL_BUS_RESET)) {
      this.resetBelow();
    }
  }

  private lastBridgeControl = 0;

  protected override onReset(): void {
    this.lastBridgeControl = this.bridgeControl;
  }

  /** Resets every function below this bridge (secondary bus reset). */
  resetBelow(): void {
    for (const f of this.secondary.functions()) {
      f.reset();
      if (f.isBridge) (f as PciBridge).resetBelow();
    }
  }

  protected override get snapshotType(): string {
    return 'pci-bridge';
  }

  protected override loadState(): void {
    this.lastBridgeControl = this.bridgeControl;
  }
}
