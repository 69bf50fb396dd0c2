// VFIO legacy API, type1 backend (drivers/vfio/container.c, group.c, vfio_iommu_type1.c;
// iommu-core.md h1-h4), on the kernel layer's IOMMU core: groups claim DMA ownership when they
// join a container, SET_IOMMU attaches them to a paging domain, MAP_DMA / UNMAP_DMA with the
// v1 and v2 rules. "User memory" is resolved to physical pages by a pin callback the embedder
// provides (identity by default: the user address is the guest-physical address).
//
// Project rule (not Linux): a device whose driver does not report IOMMU_CAP_USER_DMA_SAFE is
// refused (-EPERM) when its group joins a container - the positive capability the founding
// debate argued for (iommu-core.md g3). Set `requireUserDmaSafe: false` for Linux's behaviour.
import { KernelError } from '../kernel/errors.ts';
import type { IommuCore } from '../kernel/iommu/core.ts';
import type { IommuGroup } from '../kernel/iommu/group.ts';
import {
  IOMMU_CACHE, IOMMU_CAP_CACHE_COHERENCY, IOMMU_CAP_USER_DMA_SAFE, IOMMU_READ, IOMMU_RESV_DIRECT_RELAXABLE, IOMMU_WRITE,
  type IommuDomain,
} from '../kernel/iommu/types.ts';
import { ctz } from '../kernel/iommu/core.ts';

export const VFIO_API_VERSION = 0;
export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_DMA_CC_IOMMU = 4;
export const VFIO_UNMAP_ALL = 9;
export const VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
export const VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
export const VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
/** dma_entry_limit module parameter default. */
export const DMA_ENTRY_LIMIT = 65535;

interface DmaMapping {
  iova: number;
  size: number;
  vaddr: number;
  prot: number;
}

export interface VfioOptions {
  /** allow_unsafe_interrupts (type1 module parameter). */
  allowUnsafeInterrupts?: boolean;
  /** The project's USER_DMA_SAFE opt-in requirement (default true). */
  requireUserDmaSafe?: boolean;
  /** Resolves a pinned user address to its physical address (default: identity). */
  pin?: (vaddr: number) => number;
  dmaEntryLimit?: number;
}

export class VfioGroup {
  container: VfioContainer | null = null;
  opened = false;
  constructor(readonly vfio: Vfio, readonly group: IommuGroup) {}

  /** VFIO_GROUP_GET_STATUS flags. */
  status(): number {
    if (this.container !== null) return VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET;
    return this.vfio.core.iommuGroupDmaOwnerClaimed(this.group) ? 0 : VFIO_GROUP_FLAGS_VIABLE;
  }

  /** VFIO_GROUP_SET_CONTAINER. */
  setContainer(c: VfioContainer): void {
    const fn = 'VFIO_GROUP_SET_CONTAINER';
    if (this.container !== null) throw new KernelError('EINVAL', fn, `group ${this.group.id} is already in a container`);
    const core = this.vfio.core;
    // vfio_register_group_dev: every device must be cache coherent (and, project rule, user-DMA safe).
    for (const d of this.group.devices) {
      if (!core.deviceIommuCapable(d, IOMMU_CAP_CACHE_COHERENCY)) throw new KernelError('EINVAL', fn, `${d.name}: IOMMU without IOMMU_CAP_CACHE_COHERENCY`);
      if ((this.vfio.opts.requireUserDmaSafe ?? true) && !core.deviceIommuCapable(d, IOMMU_CAP_USER_DMA_SAFE)) {
        throw new KernelError('EPERM', fn, `${d.name}: its IOMMU driver does not declare it safe for user-space DMA (IOMMU_CAP_USER_DMA_SAFE)`);
      }
    }
    core.iommuGroupClaimDmaOwner(this.group, this); // -EPERM / -EINVAL (require_direct) / -EBUSY propagate
    this.container = c;
    if (c.type !== 0) {
      try {
        c.attachGroup(this);
      } catch (e) {
        core.iommuGroupReleaseDmaOwner(this.group);
        this.container = null;
        throw e;
      }
    }
    c.groups.push(this);
  }

  /** VFIO_GROUP_UNSET_CONTAINER. */
  unsetContainer(): void {
    const c = this.container;
    if (c === null) throw new KernelError('EINVAL', 'VFIO_GROUP_UNSET_CONTAINER', 'no container set');
    c.detachGroup(this);
    this.vfio.core.iommuGroupReleaseDmaOwner(this.group);
    this.container = null;
  }
}

export class VfioContainer {
  type = 0;
  readonly groups: VfioGroup[] = [];
  /** One paging domain per IOMMU driver (domains shared between groups of the same ops). */
  readonly domains: IommuDomain[] = [];
  private readonly maps: DmaMapping[] = [];
  constructor(readonly vfio: Vfio) {}

  checkExtension(ext: number): number {
    return ext === VFIO_TYPE1_IOMMU || ext === VFIO_TYPE1v2_IOMMU || ext === VFIO_UNMAP_ALL ? 1 : 0;
  }

  /** VFIO_SET_IOMMU. */
  setIommu(type: number): void {
    const fn = 'VFIO_SET_IOMMU';
    if (this.groups.length === 0 || this.type !== 0) throw new KernelError('EINVAL', fn, this.type !== 0 ? 'backend already set' : 'no group in the container');
    if (type !== VFIO_TYPE1_IOMMU && type !== VFIO_TYPE1v2_IOMMU) throw new KernelError('ENODEV', fn, `no backend for type ${type}`);
    this.type = type;
    const done: VfioGroup[] = [];
    try {
      for (const g of this.groups) {
        this.attachGroup(g);
        done.push(g);
      }
    } catch (e) {
      for (const g of done) this.detachGroup(g);
      this.type = 0;
      throw e;
    }
  }

  /** vfio_iommu_type1_attach_group. */
  attachGroup(g: VfioGroup): void {
    const fn = 'vfio_iommu_type1_attach_group';
    const core = this.vfio.core;
    if (!(this.vfio.opts.allowUnsafeInterrupts ?? false) && !core.iommuGroupHasIsolatedMsi(g.group)) {
      throw new KernelError('EPERM', fn, `group ${g.group.id}: MSIs are not isolated (no interrupt remapping / ITS) and allow_unsafe_interrupts is off`);
    }
    const dev0 = g.group.devices[0]!;
    let dom = this.domains.find((d) => d.owner === dev0.iommu!.ops);
    const fresh = dom === undefined;
    if (dom === undefined) dom = core.iommuPagingDomainAlloc(dev0);
    // Existing mappings must stay inside the new usable ranges.
    const ranges = this.usableRanges([...this.groups.filter((x) => x !== g && x.container === this).map((x) => x.group), g.group], dom);
    for (const m of this.maps) {
      if (!ranges.some((r) => m.iova >= r.start && m.iova + m.size - 1 <= r.end)) {
        if (fresh) core.iommuDomainFree(dom);
        throw new KernelError('EINVAL', fn, `mapping at 0x${m.iova.toString(16)} falls outside the usable IOVA ranges with group ${g.group.id}`);
      }
    }
    core.iommuAttachGroup(dom, g.group);
    if (fresh) {
      for (const m of this.maps) core.iommuMap(dom, m.iova, this.phys(m.vaddr), m.size, m.prot);
      this.domains.push(dom);
    }
  }

  detachGroup(g: VfioGroup): void {
    const core = this.vfio.core;
    const dom = core.iommuGetDomainForDev(g.group.devices[0]!);
    if (dom !== null && this.domains.includes(dom)) core.iommuDetachGroup(dom, g.group);
    const i = this.groups.indexOf(g);
    if (i >= 0) this.groups.splice(i, 1);
    if (this.groups.length === 0) {
      for (const d of this.domains) core.iommuDomainFree(d);
      this.domains.length = 0;
      this.maps.length = 0;
      this.type = 0;
    }
  }

  private phys(vaddr: number): number {
    return (this.vfio.opts.pin ?? ((v: number) => v))(vaddr);
  }

  /** Smallest IOMMU page of every domain (folded into the 4 KiB host page). */
  minPageSize(): number {
    let bm = -1;
    for (const d of this.domains) bm = bm === -1 ? d.pgsizeBitmap : bm & d.pgsizeBitmap;
    if (bm <= 0) return 4096;
    return Math.max(4096, 2 ** ctz(bm));
  }

  /** Usable IOVA ranges: the apertures minus every reserved region except DIRECT_RELAXABLE. */
  usableRanges(groups = this.groups.map((g) => g.group), dom: IommuDomain | undefined = this.domains[0]): { start: number; end: number }[] {
    if (dom === undefined) return [];
    let ranges = [{ start: dom.geometry.apertureStart, end: dom.geometry.apertureEnd }];
    for (const g of groups) {
      for (const r of this.vfio.core.iommuGetGroupResvRegions(g)) {
        if (r.type === IOMMU_RESV_DIRECT_RELAXABLE) continue;
        const rs = r.start;
        const re = r.start + r.length - 1;
        ranges = ranges.flatMap((x) => {
          if (re < x.start || rs > x.end) return [x];
          const out = [];
          if (rs > x.start) out.push({ start: x.start, end: rs - 1 });
          if (re < x.end) out.push({ start: re + 1, end: x.end });
          return out;
        });
      }
    }
    return ranges;
  }

  /** VFIO_IOMMU_GET_INFO: page sizes and usable IOVA ranges. */
  getInfo(): { iovaPgsizes: number; ranges: { start: number; end: number }[] } {
    const fn = 'VFIO_IOMMU_GET_INFO';
    if (this.type === 0) throw new KernelError('EINVAL', fn, 'no IOMMU backend set');
    let bm = -1;
    for (const d of this.domains) bm = bm === -1 ? d.pgsizeBitmap : bm & d.pgsizeBitmap;
    // Sizes below the host page fold into it.
    const pg = 4096;
    const folded = bm % pg !== 0 ? bm - (bm % pg) + pg : bm;
    return { iovaPgsizes: folded, ranges: this.usableRanges() };
  }

  /** VFIO_IOMMU_MAP_DMA (h4 order of checks). */
  mapDma(m: { flags: number; vaddr: number; iova: number; size: number }): void {
    const fn = 'VFIO_IOMMU_MAP_DMA';
    if (this.type === 0) throw new KernelError('EINVAL', fn, 'no IOMMU backend set');
    if ((m.flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR)) !== 0) throw new KernelError('EINVAL', fn, 'unknown flag');
    const rw = m.flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    if ((m.flags & VFIO_DMA_MAP_FLAG_VADDR) !== 0) throw new KernelError('EINVAL', fn, 'VADDR updates are not modelled');
    if (rw === 0) throw new KernelError('EINVAL', fn, 'neither READ nor WRITE');
    const pg = this.minPageSize();
    if (m.size === 0 || m.iova % pg !== 0 || m.vaddr % pg !== 0 || m.size % pg !== 0) throw new KernelError('EINVAL', fn, `size 0 or iova/vaddr/size not multiples of 0x${pg.toString(16)}`);
    if (m.iova + m.size - 1 >= 2 ** 64 || m.vaddr + m.size - 1 >= 2 ** 64 || !Number.isSafeInteger(m.iova + m.size)) throw new KernelError('EINVAL', fn, 'range wraps');
    if (this.maps.some((x) => x.iova < m.iova + m.size && m.iova < x.iova + x.size)) throw new KernelError('EEXIST', fn, 'overlaps an existing mapping');
    if (this.maps.length >= (this.vfio.opts.dmaEntryLimit ?? DMA_ENTRY_LIMIT)) throw new KernelError('ENOSPC', fn, 'dma_entry_limit reached');
    if (!this.usableRanges().some((r) => m.iova >= r.start && m.iova + m.size - 1 <= r.end)) throw new KernelError('EINVAL', fn, 'not inside one usable IOVA range');
    const prot = IOMMU_CACHE | ((m.flags & VFIO_DMA_MAP_FLAG_READ) !== 0 ? IOMMU_READ : 0) | ((m.flags & VFIO_DMA_MAP_FLAG_WRITE) !== 0 ? IOMMU_WRITE : 0);
    const mapped: IommuDomain[] = [];
    try {
      for (const d of this.domains) {
        this.vfio.core.iommuMap(d, m.iova, this.phys(m.vaddr), m.size, prot);
        mapped.push(d);
      }
    } catch (e) {
      for (const d of mapped) this.vfio.core.iommuUnmap(d, m.iova, m.size);
      throw e;
    }
    this.maps.push({ iova: m.iova, size: m.size, vaddr: m.vaddr, prot });
  }

  /** VFIO_IOMMU_UNMAP_DMA: bytes unmapped (the `size` written back). */
  unmapDma(u: { flags: number; iova: number; size: number }): number {
    const fn = 'VFIO_IOMMU_UNMAP_DMA';
    if (this.type === 0) throw new KernelError('EINVAL', fn, 'no IOMMU backend set');
    if ((u.flags & ~VFIO_DMA_UNMAP_FLAG_ALL) !== 0) throw new KernelError('EINVAL', fn, 'unknown or unsupported flag');
    const pg = this.minPageSize();
    if (u.iova % pg !== 0) throw new KernelError('EINVAL', fn, 'iova not a multiple of the minimum page size');
    let victims: DmaMapping[];
    if ((u.flags & VFIO_DMA_UNMAP_FLAG_ALL) !== 0) {
      if (u.iova !== 0 || u.size !== 0) throw new KernelError('EINVAL', fn, 'ALL needs iova = size = 0');
      victims = [...this.maps];
    } else {
      if (u.size === 0 || u.size % pg !== 0) throw new KernelError('EINVAL', fn, 'size 0 or not a multiple of the minimum page size');
      const end = u.iova + u.size;
      if (this.type === VFIO_TYPE1v2_IOMMU) {
        // v2: the range must not cut a mapping.
        if (this.maps.some((x) => x.iova < u.iova && x.iova + x.size > u.iova)) throw new KernelError('EINVAL', fn, 'the range starts inside a mapping');
        if (this.maps.some((x) => x.iova < end && x.iova + x.size > end)) throw new KernelError('EINVAL', fn, 'the range ends inside a mapping');
        victims = this.maps.filter((x) => x.iova >= u.iova && x.iova + x.size <= end);
      } else {
        // v1: a mapping starting before iova stops the scan; one starting inside goes whole.
        if (this.maps.some((x) => x.iova < u.iova && x.iova + x.size > u.iova)) return 0;
        victims = this.maps.filter((x) => x.iova >= u.iova && x.iova < end);
      }
    }
    let total = 0;
    for (const v of victims) {
      for (const d of this.domains) this.vfio.core.iommuUnmap(d, v.iova, v.size);
      this.maps.splice(this.maps.indexOf(v), 1);
      total += v.size;
    }
    return total;
  }
}

/** The VFIO subsystem for one kernel: groups by IOMMU group, containers. */
export class Vfio {
  private readonly groups = new Map<IommuGroup, VfioGroup>();
  constructor(readonly core: IommuCore, readonly opts: VfioOptions = {}) {}

  /** Opens /dev/vfio/<id> for an IOMMU group (-ENODEV without devices, -EBUSY if already open). */
  openGroup(group: IommuGroup): VfioGroup {
    const fn = 'vfio_group_fops_open';
    if (group.devices.length === 0) throw new KernelError('ENODEV', fn, `group ${group.id} has no devices`);
    let g = this.groups.get(group);
    if (g === undefined) {
      g = new VfioGroup(this, group);
      this.groups.set(group, g);
    }
    if (g.opened) throw new KernelError('EBUSY', fn, `group ${group.id} is already open`);
    g.opened = true;
    return g;
  }

  openContainer(): VfioContainer {
    return new VfioContainer(this);
  }
}

