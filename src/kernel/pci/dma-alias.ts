// pci_for_each_dma_alias (drivers/pci/search.c; iommu-core.md c2), from the kernel's view: every
// requester ID the device's DMA can carry by the time it reaches the IOMMU.
import type { KDevice } from '../device.ts';
import { pciIsRootBus } from './pci-dev.ts';
import * as P from '../../platform/pci/regs.ts';

/** Calls `cb(dev, bus, devfn)` for each alias; a true return stops the walk (and is returned). */
export function pciForEachDmaAlias(dev: KDevice, cb: (owner: KDevice, bus: number, devfn: number) => boolean): boolean {
  const p = dev.pci!;
  if (cb(dev, p.bus.number, p.devfn)) return true;
  for (const devfn of p.dmaAliasDevfns) if (cb(dev, p.bus.number, devfn)) return true;
  let bus = p.bus;
  while (!pciIsRootBus(bus)) {
    const bridge = bus.self;
    if (bridge === null) {
      bus = bus.parent!;
      continue;
    }
    const b = bridge.pci!;
    if (b.pcieType >= 0) {
      switch (b.pcieType) {
        case P.PCI_EXP_TYPE_ROOT_PORT:
        case P.PCI_EXP_TYPE_UPSTREAM:
        case P.PCI_EXP_TYPE_DOWNSTREAM:
          break; // native PCIe carries the requester ID through
        case P.PCI_EXP_TYPE_PCI_BRIDGE:
          // The PCIe-to-PCI bridge takes ownership: (secondary bus, 00.0).
          if (cb(bridge, b.subordinate!.number, 0)) return true;
          break;
        case P.PCI_EXP_TYPE_PCIE_BRIDGE:
          if (cb(bridge, b.bus.number, b.devfn)) return true;
          break;
      }
    } else if (cb(bridge, b.bus.number, b.devfn)) {
      // Conventional PCI bridge: its own requester ID.
      return true;
    }
    bus = b.bus;
  }
  return false;
}
