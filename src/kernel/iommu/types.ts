// The Linux IOMMU core's vocabulary (include/linux/iommu.h, as of v6.13-v6.17; iommu-core.md
// sections a, b, f, g): domain types, capabilities, reserved regions, and the two callback
// tables a driver implements - IommuOps (per driver) and DomainOps (per domain). Callbacks keep
// the kernel contract: they return 0 or a negative errno (ERRNO in ../errors.ts), or an object
// / a negative errno where Linux returns a pointer or ERR_PTR.
import type { KDevice } from '../device.ts';
import type { IommuGroup } from './group.ts';

// ---- domain types (bit flags: __IOMMU_DOMAIN_PAGING 1, _DMA_API 2, _PT 4, _DMA_FQ 8, _SVA 16, _PLATFORM 32, _NESTED 64) ----
export const IOMMU_DOMAIN_BLOCKED = 0;
export const IOMMU_DOMAIN_IDENTITY = 4;
export const IOMMU_DOMAIN_UNMANAGED = 1;
export const IOMMU_DOMAIN_DMA = 1 | 2;
export const IOMMU_DOMAIN_DMA_FQ = 1 | 2 | 8;
export const IOMMU_DOMAIN_SVA = 16;
export const IOMMU_DOMAIN_PLATFORM = 32;
export const IOMMU_DOMAIN_NESTED = 64;
export const __IOMMU_DOMAIN_PAGING = 1;
export const __IOMMU_DOMAIN_DMA_API = 2;

/** sysfs names of a group's default domain type (b3). */
export function domainTypeName(type: number): string {
  switch (type) {
    case IOMMU_DOMAIN_BLOCKED: return 'blocked';
    case IOMMU_DOMAIN_IDENTITY: return 'identity';
    case IOMMU_DOMAIN_UNMANAGED: return 'unmanaged';
    case IOMMU_DOMAIN_DMA: return 'DMA';
    case IOMMU_DOMAIN_DMA_FQ: return 'DMA-FQ';
  }
  return 'unknown';
}

// ---- capabilities (enum iommu_cap, g1) ----
export const IOMMU_CAP_CACHE_COHERENCY = 'CACHE_COHERENCY';
export const IOMMU_CAP_NOEXEC = 'NOEXEC';
export const IOMMU_CAP_PRE_BOOT_PROTECTION = 'PRE_BOOT_PROTECTION';
export const IOMMU_CAP_ENFORCE_CACHE_COHERENCY = 'ENFORCE_CACHE_COHERENCY';
export const IOMMU_CAP_DEFERRED_FLUSH = 'DEFERRED_FLUSH';
export const IOMMU_CAP_DIRTY_TRACKING = 'DIRTY_TRACKING';
/**
 * Not in Linux: the positive "this device may be given to user space" capability the project's
 * founding debate argued for (g3: R. Murphy's proposal). Drivers opt in; without it the VFIO /
 * iommufd layers of this model refuse the device.
 */
export const IOMMU_CAP_USER_DMA_SAFE = 'USER_DMA_SAFE';
export type IommuCap =
  | typeof IOMMU_CAP_CACHE_COHERENCY
  | typeof IOMMU_CAP_NOEXEC
  | typeof IOMMU_CAP_PRE_BOOT_PROTECTION
  | typeof IOMMU_CAP_ENFORCE_CACHE_COHERENCY
  | typeof IOMMU_CAP_DEFERRED_FLUSH
  | typeof IOMMU_CAP_DIRTY_TRACKING
  | typeof IOMMU_CAP_USER_DMA_SAFE;

// ---- reserved regions (f) ----
export const IOMMU_RESV_DIRECT = 0;
export const IOMMU_RESV_DIRECT_RELAXABLE = 1;
export const IOMMU_RESV_RESERVED = 2;
export const IOMMU_RESV_MSI = 3;
export const IOMMU_RESV_SW_MSI = 4;
export interface ResvRegion {
  start: number;
  length: number;
  /** IOMMU_READ | IOMMU_WRITE ... for the 1:1 mapping of DIRECT regions. */
  prot: number;
  type: number;
}
/** sysfs reserved_regions type names (both MSI kinds print "msi"). */
export const RESV_TYPE_NAMES = ['direct', 'direct-relaxable', 'reserved', 'msi', 'msi'] as const;

// ---- prot flags (shared with the page-table writers) ----
export { IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE, IOMMU_NOEXEC, IOMMU_MMIO, IOMMU_PRIV } from '../../core/pgtable.ts';

/** The result of map_pages: 0 or -errno, and the bytes mapped before any failure. */
export interface MapResult {
  ret: number;
  mapped: number;
}

/** Batched invalidation state between unmap and iotlb_sync (struct iommu_iotlb_gather). */
export interface IotlbGather {
  start: number;
  end: number;
  pgsize: number;
  /** Deferred flush (DMA_FQ): the caller flushes later through the flush queue. */
  queued: boolean;
}
export function newGather(queued = false): IotlbGather {
  return { start: Number.MAX_SAFE_INTEGER, end: 0, pgsize: 0, queued };
}

/** struct iommu_domain_ops (a2). */
export interface DomainOps {
  attachDev(domain: IommuDomain, dev: KDevice, old: IommuDomain | null): number;
  mapPages?(domain: IommuDomain, iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): MapResult;
  unmapPages?(domain: IommuDomain, iova: number, pgsize: number, pgcount: number, gather: IotlbGather): number;
  flushIotlbAll?(domain: IommuDomain): void;
  iotlbSyncMap?(domain: IommuDomain, iova: number, size: number): number;
  iotlbSync?(domain: IommuDomain, gather: IotlbGather): void;
  iovaToPhys?(domain: IommuDomain, iova: number): number;
  enforceCacheCoherency?(domain: IommuDomain): boolean;
  free?(domain: IommuDomain): void;
}

/** struct iommu_domain. */
export interface IommuDomain {
  type: number;
  ops: DomainOps;
  /** The driver that allocated it (domain->owner). */
  owner: IommuOps | null;
  pgsizeBitmap: number;
  geometry: { apertureStart: number; apertureEnd: number; forceAperture: boolean };
  /** Driver-private state. */
  priv?: unknown;
  /** Debug name (traces, sysfs-like dumps). */
  name?: string;
}

/** Per-device IOMMU data the core keeps (dev->iommu). */
export interface DevIommu {
  ops: IommuOps;
  /** What probe_device returned (the iommu_device instance). */
  iommuDev: IommuDevice;
  group: IommuGroup | null;
  requireDirect: boolean;
  /** Driver-private per-device state. */
  priv?: unknown;
  maxPasids: number;
  attachDeferred: boolean;
}

/** struct iommu_device: one hardware IOMMU instance registered by a driver. */
export interface IommuDevice {
  name: string;
  ops: IommuOps;
  /** generic_single_device_group: the one group every device of this instance shares. */
  singletonGroup?: IommuGroup | null;
}

/** struct iommu_ops (a1). */
export interface IommuOps {
  name: string;
  capable?(dev: KDevice, cap: IommuCap): boolean;
  /** Empty paging domain for `dev`, or a negative errno. */
  domainAllocPaging?(dev: KDevice): IommuDomain | number;
  /** The IOMMU handling `dev`, or -ENODEV ("not mine"). */
  probeDevice(dev: KDevice): IommuDevice | number;
  releaseDevice?(dev: KDevice): void;
  probeFinalize?(dev: KDevice): void;
  /** The group of `dev` (use the core's pciDeviceGroup / genericDeviceGroup helpers), or a negative errno. */
  deviceGroup(dev: KDevice): IommuGroup | number;
  getResvRegions?(dev: KDevice): ResvRegion[];
  isAttachDeferred?(dev: KDevice): boolean;
  /** IOMMU_DOMAIN_IDENTITY / IOMMU_DOMAIN_DMA wish, or 0 for none. */
  defDomainType?(dev: KDevice): number;
  identityDomain?: IommuDomain;
  blockedDomain?: IommuDomain;
  releaseDomain?: IommuDomain;
  /** Static default domain of legacy drivers (POWER: PLATFORM). */
  defaultDomain?: IommuDomain;
  defaultDomainOps?: DomainOps;
  pgsizeBitmap?: number;
}
