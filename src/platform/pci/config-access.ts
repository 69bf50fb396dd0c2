// The two ways software reaches configuration space, both routed through PciHost:
//  (a) configuration mechanism #1: CONFIG_ADDRESS at I/O port 0xCF8 (enable bit 31, bus
//      23:16, devfn 15:8, register 7:2) and CONFIG_DATA at 0xCFC..0xCFF;
//  (b) ECAM (PCIe enhanced configuration access): a memory window where
//      offset = (bus - baseBus) << 20 | devfn << 12 | register.
// Details follow QEMU (hw/pci/pci_host.c, pcie_host.c) byte for byte: CONFIG_ADDRESS keeps
// all 32 bits written and reads them back at any size and offset, only an aligned 32-bit
// write at 0xCF8 updates it; the register is CONFIG_ADDRESS | (port & 3) (an OR, not a sum);
// with the enable bit clear, data reads are all-ones and writes are dropped; unaligned
// accesses are split into aligned pieces.
import type { AddressSpace, MappedRegion } from '../../bridge/address-space.ts';
import type { MmioHandler, SnapshotData, Snapshottable } from '../../bridge/types.ts';
import { expectSnapshot } from '../../bridge/snapshot.ts';
import { ALL_ACCESS_SIZES, qemuRegionHandler } from '../../bridge/qemu-access.ts';
import type { PciHost } from './host.ts';
import {
  PCIE_ECAM_BUS_SHIFT, PCIE_ECAM_BUS_SIZE, PCIE_ECAM_DEVFN_SHIFT, PCIE_ECAM_REG_MASK,
  PCI_CONFIG_ADDRESS_BUS_SHIFT, PCI_CONFIG_ADDRESS_DEVFN_SHIFT, PCI_CONFIG_ADDRESS_ENABLE,
  PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT,
} from './regs.ts';

function ones(len: number): number {
  return len === 4 ? 0xffffffff : len === 2 ? 0xffff : 0xff;
}

/** Configuration mechanism #1 (ports 0xCF8/0xCFC). */
export class ConfigPorts implements Snapshottable {
  /** CONFIG_ADDRESS exactly as last written. */
  configAddress = 0;
  readonly addressHandler: MmioHandler;
  readonly dataHandler: MmioHandler;

  constructor(readonly host: PciHost) {
    this.addressHandler = qemuRegionHandler({
      minSize: 1,
      maxSize: 4,
      read: (_off, size) => (size === 4 ? this.configAddress : this.configAddress % 2 ** (8 * size)),
      write: (off, size, value) => {
        if (off === 0 && size === 4) this.configAddress = value >>> 0;
      },
    });
    this.dataHandler = qemuRegionHandler({
      minSize: 1,
      maxSize: 4,
      read: (off, size) => {
        const a = this.configAddress;
        if ((a & PCI_CONFIG_ADDRESS_ENABLE) === 0) return ones(size);
        return this.host.configRead((a >>> PCI_CONFIG_ADDRESS_BUS_SHIFT) & 0xff, (a >>> PCI_CONFIG_ADDRESS_DEVFN_SHIFT) & 0xff, (a | off) & 0xff, size, false);
      },
      write: (off, size, value) => {
        const a = this.configAddress;
        if ((a & PCI_CONFIG_ADDRESS_ENABLE) === 0) return;
        this.host.configWrite((a >>> PCI_CONFIG_ADDRESS_BUS_SHIFT) & 0xff, (a >>> PCI_CONFIG_ADDRESS_DEVFN_SHIFT) & 0xff, (a | off) & 0xff, size, value, false);
      },
    });
  }

  /** Maps both ports (4 bytes each at 0xCF8 and 0xCFC) into an I/O space. */
  map(io: AddressSpace, priority = 0): { address: MappedRegion; data: MappedRegion } {
    return {
      address: io.mapMmio(PCI_CONFIG_ADDRESS_PORT, { name: 'pci-conf-idx', size: 4, handler: this.addressHandler, validSizes: ALL_ACCESS_SIZES, unaligned: true }, priority),
      data: io.mapMmio(PCI_CONFIG_DATA_PORT, { name: 'pci-conf-data', size: 4, handler: this.dataHandler, validSizes: ALL_ACCESS_SIZES, unaligned: true }, priority),
    };
  }

  snapshot(): SnapshotData {
    return { type: 'pci-config-ports', version: 1, state: { configAddress: this.configAddress } };
  }

  restore(data: SnapshotData): void {
    const s = expectSnapshot(data, 'pci-config-ports', 1) as { configAddress: number };
    this.configAddress = s.configAddress >>> 0;
  }
}

export interface EcamOptions {
  /** Bus number decoded at offset 0 (default 0). */
  readonly baseBus?: number;
  /** Number of buses the window covers, 1..256 (default 256 = 256 MiB). */
  readonly buses?: number;
}

/** An ECAM window: map `handler` (size `size`) into the memory space at the platform's base. */
export class EcamWindow {
  readonly baseBus: number;
  readonly buses: number;
  readonly size: number;
  readonly handler: MmioHandler;

  constructor(readonly host: PciHost, opts: EcamOptions = {}) {
    const baseBus = opts.baseBus ?? 0;
    const buses = opts.buses ?? 256;
    if (!Number.isInteger(baseBus) || baseBus < 0 || baseBus > 255) throw new RangeError(`EcamWindow: baseBus must be 0..255, got ${baseBus}`);
    if (!Number.isInteger(buses) || buses < 1 || baseBus + buses > 256) throw new RangeError(`EcamWindow: buses must be 1..${256 - baseBus}, got ${buses}`);
    this.baseBus = baseBus;
    this.buses = buses;
    this.size = buses * PCIE_ECAM_BUS_SIZE;
    this.handler = qemuRegionHandler({
      minSize: 1,
      maxSize: 4,
      read: (off, size) => this.host.configRead(this.baseBus + Math.floor(off / PCIE_ECAM_BUS_SIZE), (off >>> PCIE_ECAM_DEVFN_SHIFT) & 0xff, off & PCIE_ECAM_REG_MASK, size, true),
      write: (off, size, value) => this.host.configWrite(this.baseBus + Math.floor(off / PCIE_ECAM_BUS_SIZE), (off >>> PCIE_ECAM_DEVFN_SHIFT) & 0xff, off & PCIE_ECAM_REG_MASK, size, value, true),
    });
  }

  /** Maps the window at `base` in a memory space. */
  map(memory: AddressSpace, base: number, priority = 0): MappedRegion {
    return memory.mapMmio(base, { name: 'pcie-ecam', size: this.size, handler: this.handler, validSizes: ALL_ACCESS_SIZES, unaligned: true }, priority);
  }

  /** ECAM offset of (bus, devfn, reg) in this window (for tests and firmware helpers). */
  offsetOf(bus: number, devfn: number, reg: number): number {
    return (bus - this.baseBus) * 2 ** PCIE_ECAM_BUS_SHIFT + (devfn << PCIE_ECAM_DEVFN_SHIFT) + reg;
  }
}
