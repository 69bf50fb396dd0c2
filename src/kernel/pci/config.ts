// Configuration-space access as the kernel has it: through ECAM (memory-mapped) or the x86
// 0xCF8/0xCFC ports - never through the platform's objects.
import type { AddressSpace } from '../../bridge/address-space.ts';
import { PCIE_ECAM_BUS_SHIFT, PCIE_ECAM_DEVFN_SHIFT, PCI_CONFIG_ADDRESS_ENABLE, PCI_CONFIG_ADDRESS_BUS_SHIFT, PCI_CONFIG_ADDRESS_DEVFN_SHIFT, PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT } from '../../platform/pci/regs.ts';

export interface PciConfigAccess {
  read(bus: number, devfn: number, off: number, size: 1 | 2 | 4): number;
  write(bus: number, devfn: number, off: number, size: 1 | 2 | 4, value: number): void;
}

/** ECAM window at `base` in `memory` (PCIe enhanced configuration access). */
export function ecamAccess(memory: AddressSpace, base: number): PciConfigAccess {
  const at = (bus: number, devfn: number, off: number) => base + bus * 2 ** PCIE_ECAM_BUS_SHIFT + (devfn << PCIE_ECAM_DEVFN_SHIFT) + off;
  return {
    read: (bus, devfn, off, size) => memory.read(at(bus, devfn, off), size),
    write: (bus, devfn, off, size, v) => memory.write(at(bus, devfn, off), size, v),
  };
}

/** PCI configuration mechanism #1 through an I/O port space (first 256 bytes only). */
export function portAccess(io: AddressSpace): PciConfigAccess {
  const addr = (bus: number, devfn: number, off: number) =>
    (PCI_CONFIG_ADDRESS_ENABLE | (bus << PCI_CONFIG_ADDRESS_BUS_SHIFT) | (devfn << PCI_CONFIG_ADDRESS_DEVFN_SHIFT) | (off & 0xfc)) >>> 0;
  return {
    read: (bus, devfn, off, size) => {
      io.write(PCI_CONFIG_ADDRESS_PORT, 4, addr(bus, devfn, off));
      return io.read(PCI_CONFIG_DATA_PORT + (off & 3), size);
    },
    write: (bus, devfn, off, size, v) => {
      io.write(PCI_CONFIG_ADDRESS_PORT, 4, addr(bus, devfn, off));
      io.write(PCI_CONFIG_DATA_PORT + (off & 3), size, v);
    },
  };
}
