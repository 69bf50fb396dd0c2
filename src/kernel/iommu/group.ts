// IOMMU groups (iommu-core.md c): the smallest sets of devices the IOMMU can isolate from each
// other, with their domains and DMA-ownership state (d1). Group formation helpers for drivers:
// pciDeviceGroup (c1), genericDeviceGroup / genericSingleDeviceGroup (c5).
import type { KDevice } from '../device.ts';
import type { IommuDevice, IommuDomain } from './types.ts';
import { pciForEachDmaAlias } from '../pci/dma-alias.ts';
import { REQ_ACS_FLAGS, pciAcsEnabled, pciAcsPathEnabled } from '../pci/acs.ts';
import { pciIsRootBus } from '../pci/pci-dev.ts';

/** The IDA of group IDs: the lowest free number (iommu_group_alloc). */
export class GroupIds {
  private readonly used = new Set<number>();
  alloc(): number {
    let id = 0;
    while (this.used.has(id)) id++;
    this.used.add(id);
    return id;
  }
  free(id: number): void {
    this.used.delete(id);
  }
}

export class IommuGroup {
  readonly devices: KDevice[] = [];
  /** References (the allocator's, one per device, iommu_group_get callers). */
  refs = 1;
  defaultDomain: IommuDomain | null = null;
  blockingDomain: IommuDomain | null = null;
  domain: IommuDomain | null = null;
  /** DMA ownership (d1). */
  ownerCnt = 0;
  owner: unknown = null;
  /** PASID attachments: pasid -> domain (a non-empty array blocks ownership changes). */
  readonly pasids = new Map<number, IommuDomain>();
  constructor(
    readonly id: number,
    private readonly ids: GroupIds,
    /** Finds a device's group (for the alias walks of pciDeviceGroup). */
    readonly lookup: (dev: KDevice) => IommuGroup | null,
  ) {}
  ref(): IommuGroup {
    this.refs++;
    return this;
  }
  /** iommu_group_put: the ID is released with the last reference. */
  put(): void {
    if (--this.refs === 0) this.ids.free(this.id);
  }
}

/**
 * pci_device_group (c1). `alloc` makes a new group; `groupOf` finds a device's existing group;
 * `byRid` resolves requester IDs to devices (pci_get_domain_bus_and_slot).
 */
export function pciDeviceGroup(dev: KDevice, alloc: () => IommuGroup, groupOf: (d: KDevice) => IommuGroup | null, byRid: (bus: number, devfn: number) => KDevice | undefined): IommuGroup {
  if (dev.pci === null) throw new Error(`pciDeviceGroup: ${dev.name} is not a PCI device`);
  // 1. A DMA alias that already has a group.
  let found: IommuGroup | null = null;
  pciForEachDmaAlias(dev, (_owner, bus, devfn) => {
    const tmp = byRid(bus, devfn);
    if (tmp !== undefined && tmp !== dev) {
      const g = groupOf(tmp);
      if (g !== null) {
        found = g;
        return true;
      }
    }
    return false;
  });
  if (found !== null) return (found as IommuGroup).ref();

  // 2. Climb until the path to the root bus is ACS-isolated.
  let base = dev;
  for (let bus = dev.pci.bus; !pciIsRootBus(bus); bus = bus.parent!) {
    if (bus.self === null) continue;
    if (pciAcsPathEnabled(bus.self, null, REQ_ACS_FLAGS)) break;
    base = bus.self;
    const g = groupOf(base);
    if (g !== null) return g.ref();
  }

  // 3. Same-bus devices that alias the base device (quirk alias masks, either direction).
  const seen = new Set<KDevice>();
  const aliasGroup = (d: KDevice): IommuGroup | null => {
    if (seen.has(d)) return null;
    seen.add(d);
    for (const tmp of d.pci!.bus.devices) {
      if (tmp === d || tmp.pci === null) continue;
      const a = d.pci!.dmaAliasDevfns.has(tmp.pci.devfn) || tmp.pci.dmaAliasDevfns.has(d.pci!.devfn);
      if (!a) continue;
      const g = groupOf(tmp) ?? aliasGroup(tmp);
      if (g !== null) return g;
    }
    return null;
  };
  const ag = aliasGroup(base);
  if (ag !== null) return ag.ref();

  // 4. Multifunction without ACS: the other functions of the slot that also lack ACS.
  const bp = base.pci!;
  if (bp.multifunction && !pciAcsEnabled(base, REQ_ACS_FLAGS)) {
    for (const tmp of bp.bus.devices) {
      if (tmp === base || tmp.pci === null || tmp.pci.devfn >> 3 !== bp.devfn >> 3) continue;
      if (pciAcsEnabled(tmp, REQ_ACS_FLAGS)) continue;
      const g = groupOf(tmp) ?? aliasGroup(tmp);
      if (g !== null) return g.ref();
    }
  }
  // 5. A new group.
  return alloc();
}

/** generic_device_group: a new group per device. */
export function genericDeviceGroup(alloc: () => IommuGroup): IommuGroup {
  return alloc();
}

/** generic_single_device_group: one group per IOMMU instance. */
export function genericSingleDeviceGroup(iommuDev: IommuDevice, alloc: () => IommuGroup): IommuGroup {
  if (iommuDev.singletonGroup == null) iommuDev.singletonGroup = alloc();
  return iommuDev.singletonGroup.ref();
}
