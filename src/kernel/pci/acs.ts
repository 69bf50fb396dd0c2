// ACS evaluation as drivers/pci/pci.c does it (iommu-core.md c3), from live config-space reads.
import type { KDevice } from '../device.ts';
import { pciIsRootBus, type KPciBus } from './pci-dev.ts';
import * as P from '../../platform/pci/regs.ts';

/** REQ_ACS_FLAGS: what IOMMU grouping requires for isolation (SV | RR | CR | UF). */
export const REQ_ACS_FLAGS = P.PCI_ACS_SV | P.PCI_ACS_RR | P.PCI_ACS_CR | P.PCI_ACS_UF;

/** Device-specific ACS quirks (drivers/pci/quirks.c): return true/false to decide, undefined to fall through. */
export type AcsQuirk = (dev: KDevice, flags: number) => boolean | undefined;
const quirks: AcsQuirk[] = [];
export function addAcsQuirk(q: AcsQuirk): () => void {
  quirks.push(q);
  return () => void quirks.splice(quirks.indexOf(q), 1);
}

/** pci_acs_flags_enabled: every requested flag the device implements is enabled (EC must be real). */
function flagsEnabled(dev: KDevice, flags: number): boolean {
  const p = dev.pci!;
  if (p.acsCap === 0) return false;
  const cap = p.cfg.read(p.bus.number, p.devfn, p.acsCap + P.PCI_ACS_CAP, 2);
  const ctrl = p.cfg.read(p.bus.number, p.devfn, p.acsCap + P.PCI_ACS_CTRL, 2);
  // Flags missing from the capability are hard-wired on, except Egress Control.
  const need = flags & (cap | P.PCI_ACS_EC);
  return (ctrl & need) === need;
}

/** pci_acs_enabled(dev, flags). */
export function pciAcsEnabled(dev: KDevice, flags: number): boolean {
  for (const q of quirks) {
    const r = q(dev, flags);
    if (r !== undefined) return r;
  }
  const p = dev.pci;
  if (p === null || p.pcieType < 0) return false; // conventional PCI / PCI-X
  switch (p.pcieType) {
    case P.PCI_EXP_TYPE_PCI_BRIDGE:
    case P.PCI_EXP_TYPE_PCIE_BRIDGE:
    case P.PCI_EXP_TYPE_RC_EC:
      return false;
    case P.PCI_EXP_TYPE_ROOT_PORT:
    case P.PCI_EXP_TYPE_DOWNSTREAM:
      return flagsEnabled(dev, flags);
    case P.PCI_EXP_TYPE_ENDPOINT:
    case P.PCI_EXP_TYPE_LEG_END:
    case P.PCI_EXP_TYPE_UPSTREAM:
    case P.PCI_EXP_TYPE_RC_END:
      return p.multifunction ? flagsEnabled(dev, flags) : true;
  }
  return true;
}

/** pci_acs_path_enabled(start, end, flags): every device from `start` up to `end` (or the root bus). */
export function pciAcsPathEnabled(start: KDevice, end: KDevice | null, flags: number): boolean {
  let dev: KDevice | null = start;
  while (dev !== null && dev !== end) {
    if (!pciAcsEnabled(dev, flags)) return false;
    const bus: KPciBus = dev.pci!.bus;
    if (pciIsRootBus(bus)) return end === null;
    dev = bus.self;
  }
  return true;
}
