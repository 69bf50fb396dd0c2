// A mock IOMMU driver for the core's tests: paging domains kept in a Map (4K/2M/1G pages),
// attach recorded per device, and knobs for everything the core must react to - attach
// failures, reserved regions, default-domain wishes, capabilities, static identity/blocked/
// platform domains. It talks to no hardware: the real drivers (src/kernel/drivers) do.
import { KDevice } from '../../src/kernel/device.ts';
import { ERRNO } from '../../src/kernel/errors.ts';
import type { IommuCore } from '../../src/kernel/iommu/core.ts';
import {
  IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_IDENTITY, IOMMU_DOMAIN_PLATFORM, type DomainOps, type IommuCap, type IommuDevice,
  type IommuDomain, type IommuOps, type ResvRegion,
} from '../../src/kernel/iommu/types.ts';

export const SZ_4K = 0x1000;
export const SZ_2M = 0x20_0000;
export const SZ_1G = 0x4000_0000;

interface Leaf {
  pa: number;
  size: number;
  prot: number;
}
export interface MockPriv {
  leaves: Map<number, Leaf>;
  syncs: number;
  flushAll: number;
  id: number;
}

export interface MockOptions {
  name?: string;
  /** Devices (by name) whose attach fails with this errno. */
  failAttach?: Map<string, number>;
  resv?: Map<string, ResvRegion[]>;
  wish?: Map<string, number>;
  caps?: Set<IommuCap>;
  identity?: boolean;
  blocked?: boolean;
  /** A static PLATFORM default domain (POWER). */
  platform?: boolean;
  paging?: boolean;
  pgsizeBitmap?: number;
  /** Devices (by name) this IOMMU does not handle. */
  skip?: Set<string>;
  grouping?: 'pci' | 'generic' | 'single';
}

export class MockIommu implements IommuOps {
  readonly name: string;
  readonly attached = new Map<KDevice, IommuDomain>();
  readonly log: string[] = [];
  readonly iommuDev: IommuDevice;
  identityDomain?: IommuDomain;
  blockedDomain?: IommuDomain;
  defaultDomain?: IommuDomain;
  pgsizeBitmap: number;
  private nextId = 0;
  readonly domainOps: DomainOps;

  constructor(readonly core: IommuCore, readonly o: MockOptions = {}) {
    this.name = o.name ?? 'mock';
    this.pgsizeBitmap = o.pgsizeBitmap ?? SZ_4K | SZ_2M | SZ_1G;
    this.iommuDev = { name: this.name, ops: this };
    const self = this;
    this.domainOps = {
      attachDev(d, dev) {
        const err = self.o.failAttach?.get(dev.name);
        if (err !== undefined) return -err;
        self.attached.set(dev, d);
        self.log.push(`attach ${dev.name} ${d.name}`);
        return 0;
      },
      mapPages(d, iova, paddr, pgsize, pgcount, prot) {
        const p = d.priv as MockPriv;
        for (let i = 0; i < pgcount; i++) {
          const a = iova + i * pgsize;
          for (const [k, l] of p.leaves) if (k < a + pgsize && a < k + l.size) return { ret: -ERRNO.EEXIST, mapped: i * pgsize };
          p.leaves.set(a, { pa: paddr + i * pgsize, size: pgsize, prot });
        }
        self.log.push(`map ${d.name} 0x${iova.toString(16)} ${pgcount}x0x${pgsize.toString(16)}`);
        return { ret: 0, mapped: pgcount * pgsize };
      },
      unmapPages(d, iova, pgsize, pgcount) {
        const p = d.priv as MockPriv;
        let done = 0;
        for (let i = 0; i < pgcount; i++) {
          const l = p.leaves.get(iova + done);
          if (l === undefined) break;
          p.leaves.delete(iova + done);
          done += l.size;
        }
        return done;
      },
      iotlbSync(d) {
        (d.priv as MockPriv).syncs++;
      },
      flushIotlbAll(d) {
        (d.priv as MockPriv).flushAll++;
      },
      iovaToPhys(d, iova) {
        for (const [k, l] of (d.priv as MockPriv).leaves) if (iova >= k && iova < k + l.size) return l.pa + (iova - k);
        return 0;
      },
      free(d) {
        self.log.push(`free ${d.name}`);
      },
    };
    const staticDom = (type: number, name: string): IommuDomain => ({
      type, ops: this.domainOps, owner: this, pgsizeBitmap: 0, geometry: { apertureStart: 0, apertureEnd: 0, forceAperture: false }, name,
    });
    if (o.identity ?? true) this.identityDomain = staticDom(IOMMU_DOMAIN_IDENTITY, 'identity');
    if (o.blocked ?? true) this.blockedDomain = staticDom(IOMMU_DOMAIN_BLOCKED, 'blocked');
    if (o.platform) this.defaultDomain = staticDom(IOMMU_DOMAIN_PLATFORM, 'platform');
    if (o.paging !== false) this.domainAllocPaging = (dev) => this.allocPaging(dev);
  }

  domainAllocPaging?: (dev: KDevice) => IommuDomain | number;

  probeDevice(dev: KDevice): IommuDevice | number {
    if (this.o.skip?.has(dev.name)) return -ERRNO.ENODEV;
    return this.iommuDev;
  }
  deviceGroup(dev: KDevice) {
    const g = this.o.grouping ?? (dev.pci !== null ? 'pci' : 'generic');
    if (g === 'pci') return this.core.pciDeviceGroup(dev);
    if (g === 'single') return this.core.genericSingleDeviceGroup(dev);
    return this.core.genericDeviceGroup();
  }
  allocPaging(_dev: KDevice): IommuDomain | number {
    const priv: MockPriv = { leaves: new Map(), syncs: 0, flushAll: 0, id: this.nextId++ };
    return { type: 0, ops: this.domainOps, owner: this, pgsizeBitmap: 0, geometry: { apertureStart: 0, apertureEnd: 2 ** 48 - 1, forceAperture: true }, priv, name: `paging${priv.id}` };
  }
  capable(_dev: KDevice, cap: IommuCap): boolean {
    return this.o.caps?.has(cap) ?? false;
  }
  getResvRegions(dev: KDevice): ResvRegion[] {
    return this.o.resv?.get(dev.name) ?? [];
  }
  defDomainType(dev: KDevice): number {
    return this.o.wish?.get(dev.name) ?? 0;
  }
}

/** Platform devices for non-PCI tests. */
export function platformDevices(...names: string[]): KDevice[] {
  return names.map((n) => new KDevice(n, 'platform'));
}
