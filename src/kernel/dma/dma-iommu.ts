// The DMA API on a device's default domain (drivers/iommu/dma-iommu.c): dma_map_single /
// dma_unmap_single / dma_map_sg / dma_unmap_sg through the IOMMU core, with an IOVA allocator
// below the device's DMA mask and Linux's two invalidation policies: strict (DMA domain: the
// IOTLB is invalidated before dma_unmap returns) and deferred (DMA_FQ domain: unmapped IOVAs
// wait in a flush queue; the IOTLB may still translate them until the queue is flushed - the
// security window lazy mode trades for speed). Identity domains map 1:1 (dma-direct); blocked
// or absent domains cannot map.
import type { KDevice } from '../device.ts';
import type { IommuCore } from '../iommu/core.ts';
import { ctz } from '../iommu/core.ts';
import {
  IOMMU_CACHE, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY, IOMMU_READ, IOMMU_WRITE, __IOMMU_DOMAIN_DMA_API, type IommuDomain,
} from '../iommu/types.ts';
import { IovaDomain } from './iova.ts';

export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export const DMA_NONE = 3;
/** DMA_MAPPING_ERROR: (dma_addr_t)~0. Returned as -1 here (addresses are numbers). */
export const DMA_MAPPING_ERROR = -1;
/** Linux IOVA_FQ_SIZE: entries per flush queue before a forced flush. */
export const IOVA_FQ_SIZE = 256;

/** dma_info_to_prot: direction -> IOMMU prot (plus CACHE for coherent devices). */
export function dmaInfoToProt(dir: number, coherent: boolean): number {
  const cache = coherent ? IOMMU_CACHE : 0;
  switch (dir) {
    case DMA_BIDIRECTIONAL: return cache | IOMMU_READ | IOMMU_WRITE;
    case DMA_TO_DEVICE: return cache | IOMMU_READ;
    case DMA_FROM_DEVICE: return cache | IOMMU_WRITE;
  }
  return 0;
}

export interface SgEntry {
  /** Physical address of the segment. */
  phys: number;
  length: number;
  /** Filled by dmaMapSg. */
  dmaAddress?: number;
  dmaLength?: number;
}

interface Cookie {
  iovad: IovaDomain;
  fq: { iova: number; pfn: number; size: number }[];
  flushes: number;
}

export class DmaApi {
  private readonly cookies = new WeakMap<IommuDomain, Cookie>();
  /** Per-device DMA masks (dma_set_mask); default 32 bits as Linux. */
  private readonly masks = new WeakMap<KDevice, number>();
  /** Device coherency (dev_is_dma_coherent); default true. */
  coherent: (dev: KDevice) => boolean = () => true;

  constructor(readonly core: IommuCore) {}

  /** dma_set_mask_and_coherent. */
  dmaSetMask(dev: KDevice, bits: number): void {
    this.masks.set(dev, bits >= 53 ? 2 ** 53 - 1 : 2 ** bits - 1);
  }

  private cookie(d: IommuDomain): Cookie {
    let c = this.cookies.get(d);
    if (c === undefined) {
      const granule = 2 ** ctz(d.pgsizeBitmap || 4096);
      const start = Math.max(1, Math.ceil(d.geometry.apertureStart / granule));
      c = { iovad: new IovaDomain(granule, start), fq: [], flushes: 0 };
      this.cookies.set(d, c);
    }
    return c;
  }

  private domain(dev: KDevice): IommuDomain | null {
    return this.core.iommuGetDomainForDev(dev);
  }

  /** dma_map_single / dma_map_page: the device address for [phys, phys+size), or DMA_MAPPING_ERROR. */
  dmaMapSingle(dev: KDevice, phys: number, size: number, dir: number): number {
    const d = this.domain(dev);
    if (d === null || d.type === IOMMU_DOMAIN_IDENTITY) return phys; // no IOMMU translation: dma-direct
    if ((d.type & __IOMMU_DOMAIN_DMA_API) === 0) return DMA_MAPPING_ERROR;
    const c = this.cookie(d);
    const g = c.iovad.granule;
    const off = phys % g;
    const len = Math.ceil((off + size) / g) * g;
    const mask = this.masks.get(dev) ?? 2 ** 32 - 1;
    const limit = Math.min(mask, d.geometry.apertureEnd || mask);
    const pfn = c.iovad.alloc(len / g, Math.floor(limit / g));
    if (pfn < 0) return DMA_MAPPING_ERROR;
    const iova = pfn * g;
    try {
      this.core.iommuMap(d, iova, phys - off, len, dmaInfoToProt(dir, this.coherent(dev)));
    } catch {
      c.iovad.free(pfn);
      return DMA_MAPPING_ERROR;
    }
    return iova + off;
  }

  /** dma_unmap_single / dma_unmap_page. */
  dmaUnmapSingle(dev: KDevice, addr: number, size: number, _dir: number): void {
    const d = this.domain(dev);
    if (d === null || d.type === IOMMU_DOMAIN_IDENTITY || (d.type & __IOMMU_DOMAIN_DMA_API) === 0) return;
    const c = this.cookie(d);
    const g = c.iovad.granule;
    const off = addr % g;
    const len = Math.ceil((off + size) / g) * g;
    const iova = addr - off;
    const pfn = iova / g;
    if (d.type === IOMMU_DOMAIN_DMA_FQ) {
      // Lazy: unmap without the IOTLB sync; the IOVA is reused only after the queue is flushed.
      this.core.iommuUnmapFast(d, iova, len);
      c.fq.push({ iova, pfn, size: len });
      if (c.fq.length >= IOVA_FQ_SIZE) this.flushQueue(d);
      return;
    }
    this.core.iommuUnmap(d, iova, len);
    c.iovad.free(pfn);
  }

  /** The flush-queue timer / full queue: one flush_iotlb_all, then the queued IOVAs are freed. */
  flushQueue(d: IommuDomain): void {
    const c = this.cookie(d);
    if (c.fq.length === 0) return;
    d.ops.flushIotlbAll?.(d);
    c.flushes++;
    for (const e of c.fq) c.iovad.free(e.pfn);
    c.fq.length = 0;
  }

  /** Entries waiting in `d`'s flush queue. */
  queued(d: IommuDomain): number {
    return this.cookie(d).fq.length;
  }

  /** dma_map_sg: maps every segment into one contiguous IOVA range; returns the mapped count (0 on failure). */
  dmaMapSg(dev: KDevice, sg: SgEntry[], dir: number): number {
    const d = this.domain(dev);
    if (d === null || d.type === IOMMU_DOMAIN_IDENTITY) {
      for (const s of sg) {
        s.dmaAddress = s.phys;
        s.dmaLength = s.length;
      }
      return sg.length;
    }
    if ((d.type & __IOMMU_DOMAIN_DMA_API) === 0) return 0;
    const c = this.cookie(d);
    const g = c.iovad.granule;
    // iommu_dma_map_sg: each segment padded to granule boundaries, concatenated in one IOVA range.
    const spans = sg.map((s) => ({ off: s.phys % g, len: Math.ceil(((s.phys % g) + s.length) / g) * g }));
    const total = spans.reduce((a, s) => a + s.len, 0);
    const mask = this.masks.get(dev) ?? 2 ** 32 - 1;
    const pfn = c.iovad.alloc(total / g, Math.floor(Math.min(mask, d.geometry.apertureEnd || mask) / g));
    if (pfn < 0) return 0;
    let iova = pfn * g;
    const prot = dmaInfoToProt(dir, this.coherent(dev));
    let mapped = 0;
    try {
      sg.forEach((s, i) => {
        const sp = spans[i]!;
        this.core.iommuMap(d, iova, s.phys - sp.off, sp.len, prot);
        s.dmaAddress = iova + sp.off;
        s.dmaLength = s.length;
        iova += sp.len;
        mapped += sp.len;
      });
    } catch {
      if (mapped > 0) this.core.iommuUnmap(d, pfn * g, mapped);
      c.iovad.free(pfn);
      return 0;
    }
    return sg.length;
  }

  /** dma_unmap_sg. */
  dmaUnmapSg(dev: KDevice, sg: SgEntry[], dir: number): void {
    const d = this.domain(dev);
    if (d === null || d.type === IOMMU_DOMAIN_IDENTITY || sg.length === 0 || (d.type & __IOMMU_DOMAIN_DMA_API) === 0) return;
    const g = this.cookie(d).iovad.granule;
    const first = sg[0]!.dmaAddress!;
    const start = first - (first % g);
    const total = sg.reduce((a, s) => a + Math.ceil(((s.phys % g) + s.length) / g) * g, 0);
    this.dmaUnmapSingle(dev, start, total, dir);
  }
}
