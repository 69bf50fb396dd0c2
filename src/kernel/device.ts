// The kernel's view of a device (struct device): its bus, its driver, its IOMMU data. Devices
// are discovered by the bus code (pci/scan.ts reads configuration space through the bridge, as
// Linux does) or registered as platform devices with their firmware IOMMU IDs.
import type { DevIommu } from './iommu/types.ts';
import type { KPciDev } from './pci/pci-dev.ts';

/** A device driver (struct device_driver), as far as the IOMMU core cares. */
export interface KDriver {
  name: string;
  /** The driver manages DMA ownership itself (vfio-pci, pci-stub, pcieport): no default-domain use. */
  driverManagedDma: boolean;
  /** Called after the DMA setup succeeded; a negative errno fails the bind. */
  probe?(dev: KDevice): number;
  remove?(dev: KDevice): void;
}

export class KDevice {
  /** Set by the IOMMU core when an IOMMU driver claims the device (dev->iommu). */
  iommu: DevIommu | null = null;
  driver: KDriver | null = null;
  /** PCI "untrusted" (external-facing port): its group must get a DMA default domain. */
  untrusted = false;
  constructor(
    readonly name: string,
    readonly bus: 'pci' | 'platform',
    /** PCI devices: the configuration-space view. */
    readonly pci: KPciDev | null = null,
    /** Platform devices: the firmware's IOMMU specifier (DT "iommus" / IORT stream IDs). */
    readonly fwIds: readonly number[] = [],
  ) {}
  toString(): string {
    return this.name;
  }
}
