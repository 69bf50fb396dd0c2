// The kernel's PCI view (struct pci_dev / struct pci_bus), filled by reading configuration space.
import type { KDevice } from '../device.ts';
import type { PciConfigAccess } from './config.ts';

export interface KPciBus {
  number: number;
  /** The bridge leading to this bus (bus->self); null for a root bus. */
  self: KDevice | null;
  parent: KPciBus | null;
  devices: KDevice[];
  children: KPciBus[];
}

export interface KPciDev {
  cfg: PciConfigAccess;
  segment: number;
  bus: KPciBus;
  devfn: number;
  vendor: number;
  device: number;
  classCode: number;
  /** Header type bit 7 of function 0 of the slot (the slot is multi-function). */
  multifunction: boolean;
  isBridge: boolean;
  /** PCI Express capability offset, 0 for conventional PCI. */
  pcieCap: number;
  /** PCI_EXP_TYPE_* from the PCIe capability, -1 for conventional PCI. */
  pcieType: number;
  /** ACS extended capability offset, 0 when absent. */
  acsCap: number;
  /** For bridges: the bus below. */
  subordinate: KPciBus | null;
  /** Quirk-declared DMA aliases on the same bus (dev->dma_alias_mask): devfns. */
  dmaAliasDevfns: Set<number>;
}

/** Requester ID bus:devfn. */
export function pciRid(d: KPciDev): number {
  return (d.bus.number << 8) | d.devfn;
}

export function pciIsRootBus(bus: KPciBus): boolean {
  return bus.parent === null;
}

export function pciName(segment: number, bus: number, devfn: number): string {
  const h = (n: number, w: number) => n.toString(16).padStart(w, '0');
  return `${h(segment, 4)}:${h(bus, 2)}:${h(devfn >> 3, 2)}.${devfn & 7}`;
}
