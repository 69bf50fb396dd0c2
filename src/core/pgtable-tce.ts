// POWER TCE tables as Linux builds and fills them: PowerNV's multi-level tables
// (arch/powerpc/platforms/powernv/pci-ioda-tce.c: pnv_pci_ioda2_table_alloc_pages,
// pnv_tce_build / pnv_tce_xchg / pnv_tce_free / pnv_tce_get, lazily allocated levels,
// big-endian TCEs) and the pSeries variant (one level of host-order TCEs as an sPAPR model keeps
// them, R always set). Facts: shared/reference/power-tce.md A1-A6, E3. The writing runs in
// core.wasm (assembly/pgtable/tce.ts); this is the facade.
//
// Indices are Linux's iommu_table entry numbers (bus address >> page shift, it_offset included),
// as the table ops receive them. Results are Linux's: build / free give 0 or a negative errno,
// xchg gives { ret, hpa, direction } as the pointers come back, get the TCE value.
import type { Core } from './core.ts';
import { IOMMU_READ, IOMMU_WRITE, EINVAL, type TableAllocator } from './pgtable.ts';
import { SocTableBase } from './pgtable-soc.ts';
import type { TceConfig } from './walk-configs.ts';

/** enum dma_data_direction. */
export const DMA_BIDIRECTIONAL = 0;
export const DMA_TO_DEVICE = 1;
export const DMA_FROM_DEVICE = 2;
export const DMA_NONE = 3;
/** arch/powerpc/include/asm/tce.h. */
export const TCE_PCI_READ = 1;
export const TCE_PCI_WRITE = 2;
/** POWERNV_IOMMU_MAX_LEVELS / POWERNV_IOMMU_DEFAULT_LEVELS. */
export const POWERNV_IOMMU_MAX_LEVELS = 5;
export const POWERNV_IOMMU_DEFAULT_LEVELS = 2;
/** PowerNV's second DMA window (TVE#1) starts here: tce_bypass_base. */
export const TCE_BYPASS_BASE = 2 ** 59;

/** iommu_direction_to_tce_perm. */
export function iommuDirectionToTcePerm(dir: number): number {
  return dir === DMA_BIDIRECTIONAL ? TCE_PCI_READ | TCE_PCI_WRITE : dir === DMA_FROM_DEVICE ? TCE_PCI_WRITE : dir === DMA_TO_DEVICE ? TCE_PCI_READ : 0;
}

/** iommu_tce_direction: R|W -> BIDIRECTIONAL, R -> TO_DEVICE, W -> FROM_DEVICE, neither -> DMA_NONE. */
export function iommuTceDirection(tce: number | bigint): number {
  const b = Number(BigInt(tce) & 3n);
  return b === 3 ? DMA_BIDIRECTIONAL : b === 1 ? DMA_TO_DEVICE : b === 2 ? DMA_FROM_DEVICE : DMA_NONE;
}

/** IOMMU_READ / IOMMU_WRITE -> direction, as VFIO's MAP_DMA flags map: READ TO_DEVICE, WRITE FROM_DEVICE, both BIDIRECTIONAL. */
export function protToDirection(prot: number): number {
  const r = (prot & IOMMU_READ) !== 0;
  const w = (prot & IOMMU_WRITE) !== 0;
  return r && w ? DMA_BIDIRECTIONAL : r ? DMA_TO_DEVICE : w ? DMA_FROM_DEVICE : DMA_NONE;
}

/**
 * pnv_pci_ioda2_get_table_size (power-tce.md A5): the bytes VFIO accounts for a table of this
 * geometry, every level populated, hardware table plus userspace copy; 0 for levels 0 or > 5 or
 * a window that is not a power of two (VFIO then fails with -EINVAL).
 */
export function pnvIoda2GetTableSize(pageShift: number, windowSize: number, levels: number, kernelPageShift = 16): number {
  if (!Number.isInteger(windowSize) || windowSize <= 0 || levels < 1 || levels > POWERNV_IOMMU_MAX_LEVELS) return 0;
  const ws = BigInt(windowSize);
  if ((ws & (ws - 1n)) !== 0n) return 0;
  const windowShift = ws.toString(2).length - 1;
  let entriesShift = windowShift - pageShift;
  let tceTableSize = BigInt(Math.max(0x1000, 2 ** (entriesShift + 3)));
  entriesShift = Math.trunc((entriesShift + levels - 1) / levels);
  const direct = 1n << BigInt(Math.max(entriesShift + 3, kernelPageShift));
  let bytes = 0n;
  for (let l = levels; l > 0; l--) {
    bytes += ((tceTableSize + direct - 1n) / direct) * direct; // ALIGN(tce_table_size, direct)
    tceTableSize = (tceTableSize / direct) << 3n;
    if (tceTableSize < direct) tceTableSize = direct;
  }
  return Number(bytes + bytes);
}

export interface TceTableConfig {
  /** Bus address of the window: 0 for window 0 (tce32_start), TCE_BYPASS_BASE for window 1. Default 0. */
  busOffset?: number;
  /** IOMMU page shift (12, 16, 21, 24, 28, 30). */
  pageShift: number;
  /** Window bytes (a power of two). */
  windowSize: number;
  /** 1..5 (POWERNV_IOMMU_MAX_LEVELS). */
  levels: number;
  /** Linux's PAGE_SHIFT: 16 (64 KiB pages, the usual ppc64 kernel) by default, or 12. */
  kernelPageShift?: number;
  /** powernv (default): big-endian multi-level tables; pseries: one level of little-endian TCEs (sPAPR model). */
  variant?: 'powernv' | 'pseries';
}

const isIdx = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;
/** A bus address or size held exactly by a double (any integer below 2^64; e.g. 1 << 59). */
const isU64 = (x: number): boolean => Number.isInteger(x) && x >= 0 && x < 2 ** 64;

/** A TCE table (struct iommu_table) in guest memory, written as Linux writes it. */
export class TceTable extends SocTableBase {
  readonly variant: 'powernv' | 'pseries';
  /** it_base: the top-level table. */
  readonly base: number;
  /** it_offset: entry number of the window's first page. */
  readonly itOffset: number;
  /** it_size: entries in the window. */
  readonly itSize: number;
  /** it_level_size: entries per level table. */
  readonly levelSize: number;
  /** it_indirect_levels. */
  readonly indirectLevels: number;
  /** log2 bytes of one level table (TVE TCE_TABLE_SIZE = levelShift - 11). */
  readonly levelShift: number;
  readonly pageShift: number;

  /**
   * pnv_pci_ioda2_table_alloc_pages (without the VFIO userspace copy): only the top level is
   * allocated. Throws SocPgtableError with errno -EINVAL (levels 0 or > 5, window not a power
   * of two, geometry >= 55 bits; pSeries: levels != 1) or -ENOMEM (no top level).
   */
  constructor(core: Core, config: TceTableConfig, allocator: TableAllocator) {
    const variant = config.variant ?? 'powernv';
    const kps = config.kernelPageShift ?? 16;
    if (kps !== 12 && kps !== 16) throw new RangeError(`kernelPageShift must be 12 or 16, got ${kps}`);
    const bus = config.busOffset ?? 0;
    for (const [n, v] of [['busOffset', bus], ['windowSize', config.windowSize], ['pageShift', config.pageShift], ['levels', config.levels]] as const) {
      if (!isU64(v)) throw new RangeError(`${n} must be a non-negative integer below 2^64, got ${v}`);
    }
    const flags = variant === 'pseries' ? 1 << 9 : 0;
    super(
      core,
      allocator,
      null,
      (s, h, f) => core.exports.soc_tce_create(s, h, bus, config.pageShift, config.windowSize, config.levels, kps, f | flags),
      'TceTable',
    );
    this.variant = variant;
    const info = (k: number) => this.check(this.x.soc_tce_info(this.handle, k));
    this.base = info(0);
    this.itOffset = info(1);
    this.itSize = info(2);
    this.levelSize = info(3);
    this.indirectLevels = info(4);
    this.levelShift = info(5);
    this.pageShift = info(6);
  }

  private idx(v: number, what: string): void {
    if (!isIdx(v)) throw new RangeError(`${what} must be a non-negative safe integer, got ${v}`);
  }

  /**
   * pnv_tce_build (pSeries: the pSeries build): writes `npages` TCEs from entry `index` for the
   * pages at `pa`. 0; -ENOMEM when a level cannot be allocated (Linux would oops); -EINVAL when
   * the range leaves the window (the model's guard; Linux's callers check it).
   */
  build(index: number, npages: number, pa: number, direction: number): number {
    this.idx(index, 'index');
    this.idx(npages, 'npages');
    this.idx(pa, 'pa');
    return this.check(this.x.soc_tce_build(this.handle, index, npages, pa, direction));
  }

  /**
   * pnv_tce_xchg(tbl, index, &hpa, &direction, alloc): { ret, hpa, direction } with the old
   * TCE's address (old & ~(R|W)) and iommu_tce_direction(old). DMA_NONE on a missing level
   * returns hpa 0 without allocating. ret -ENOMEM when the level is missing and `alloc` is
   * false (or allocation fails); -EINVAL for an hpa that is not page aligned (Linux: BUG_ON).
   */
  xchg(index: number, hpa: number, direction: number, alloc = true): { ret: number; hpa: bigint; direction: number } {
    this.idx(index, 'index');
    this.idx(hpa, 'hpa');
    const ret = this.check(this.x.soc_tce_xchg(this.handle, index, hpa, direction, alloc ? 1 : 0));
    if (ret !== 0) return { ret, hpa: BigInt(hpa), direction };
    const old = this.out();
    if (old === 0n && direction === DMA_NONE) return { ret, hpa: 0n, direction };
    return { ret, hpa: old & ~3n, direction: iommuTceDirection(old) };
  }

  /** pnv_tce_free: 0 (or the model's -EINVAL outside the window). */
  free(index: number, npages: number): number {
    this.idx(index, 'index');
    this.idx(npages, 'npages');
    return this.check(this.x.soc_tce_free(this.handle, index, npages));
  }

  /** pnv_tce_get: the TCE in host order (0 when its level is missing). */
  get(index: number): bigint {
    this.idx(index, 'index');
    const r = this.check(this.x.soc_tce_get(this.handle, index));
    if (r !== 0) throw new RangeError(`TCE index ${index} is outside the window [${this.itOffset}, ${this.itOffset + this.itSize})`);
    return this.out();
  }

  private out(): bigint {
    const at = this.x.soc_out_ptr();
    return new DataView(this.core.bytes().buffer, at, 8).getBigUint64(0, true);
  }

  /** The walker configuration of the TVE / sPAPR window that points at this table. */
  walkerConfig(): TceConfig {
    return {
      table: this.base,
      pageShift: this.pageShift,
      levels: this.indirectLevels + 1,
      levelBits: this.levelShift - 3,
      littleEndian: this.variant === 'pseries',
    };
  }

  // ---- an sPAPR paging domain over this table ----
  // Upstream has none yet (power-tce.md E3: a 2025 RFC proposes domain_alloc_paging with
  // map_pages / unmap_pages over the TCE table for iommufd). The model's choice, taken from
  // the paths that exist today: the page size is the table's; prot maps to a DMA direction as
  // VFIO's MAP_DMA flags do (READ -> TO_DEVICE, WRITE -> FROM_DEVICE, both -> BIDIRECTIONAL,
  // neither -> -EINVAL); iova and paddr must be page aligned and the whole range inside the
  // window (else -EINVAL, as iommu_tce_check_ioba / iommu_tce_check_gpa answer); a live TCE is
  // overwritten (VFIO's sPAPR MAP_DMA allows it; the TCE format has no "in use" state apart
  // from R/W). TCEs then come out as pnv_tce_build writes them (W forces R on PowerNV).

  /** map_pages over the window: bytes mapped, or a negative errno. */
  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    const page = 2 ** this.pageShift;
    if (pgsize !== page || !isU64(iova) || !isIdx(paddr) || iova % page !== 0 || paddr % page !== 0) return -EINVAL;
    const dir = protToDirection(prot);
    if (dir === DMA_NONE) return -EINVAL;
    const index = Math.floor(iova / page);
    if (!this.inWindow(index, pgcount)) return -EINVAL;
    const r = this.build(index, pgcount, paddr, dir);
    return r < 0 ? r : pgcount * page;
  }

  /** unmap_pages over the window: bytes unmapped (0 outside the window or for a bad page size). */
  unmapPages(iova: number, pgsize: number, pgcount: number): number {
    const page = 2 ** this.pageShift;
    if (pgsize !== page || !isU64(iova) || iova % page !== 0) return 0;
    const index = Math.floor(iova / page);
    if (!this.inWindow(index, pgcount)) return 0;
    return this.free(index, pgcount) < 0 ? 0 : pgcount * page;
  }

  /** iova_to_phys over the window: TCE address + offset; 0 when the TCE has neither R nor W (the PHB faults such an access) or iova is outside the window. */
  iovaToPhys(iova: number): number {
    const page = 2 ** this.pageShift;
    if (!isU64(iova)) return 0;
    const index = Math.floor(iova / page);
    if (!this.inWindow(index, 1)) return 0;
    const tce = this.get(index);
    if ((tce & 3n) === 0n) return 0;
    return Number(tce & ~BigInt(page - 1)) + (iova % page);
  }

  private inWindow(index: number, n: number): boolean {
    return isIdx(n) && index >= this.itOffset && index - this.itOffset + n <= this.itSize;
  }
}

/**
 * An sPAPR paging domain over a PE's DMA windows (one or two TCE tables: window 0 at bus 0,
 * window 1 at TCE_BYPASS_BASE), as the kernel layer would use it. Upstream has none yet
 * (power-tce.md E3: 2025 RFC); the shape follows the 2022 thread (E2): the windows are one
 * domain, one address space, and only constrain which ranges can be mapped. A request lands in
 * the window that holds all of it and is handled as TceTable.mapPages / unmapPages /
 * iovaToPhys describe; a range in no single window is -EINVAL (map) or 0 (unmap, iova_to_phys).
 */
export class SpaprPagingDomain {
  readonly windows: readonly TceTable[];

  constructor(windows: readonly TceTable[]) {
    if (windows.length < 1 || windows.length > 2) throw new RangeError(`an sPAPR domain has 1 or 2 DMA windows, got ${windows.length}`);
    const spans = windows.map((w) => SpaprPagingDomain.span(w)).sort((a, b) => a[0] - b[0]);
    if (spans.length === 2 && spans[0]![1] > spans[1]![0]) throw new RangeError('the DMA windows overlap');
    this.windows = windows;
  }

  /** [first bus address, end) of a table's window. */
  static span(w: TceTable): [number, number] {
    const page = 2 ** w.pageShift;
    return [w.itOffset * page, (w.itOffset + w.itSize) * page];
  }

  /** Page sizes the domain offers: each window's TCE page size. */
  get pgsizeBitmap(): number {
    let m = 0;
    for (const w of this.windows) m |= 2 ** w.pageShift;
    return m;
  }

  private windowFor(iova: number, bytes: number): TceTable | null {
    for (const w of this.windows) {
      const [lo, hi] = SpaprPagingDomain.span(w);
      if (iova >= lo && bytes <= hi - iova) return w;
    }
    return null;
  }

  mapPages(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    const w = this.windowFor(iova, pgsize * pgcount);
    return w === null ? -EINVAL : w.mapPages(iova, paddr, pgsize, pgcount, prot);
  }

  unmapPages(iova: number, pgsize: number, pgcount: number): number {
    const w = this.windowFor(iova, pgsize * pgcount);
    return w === null ? 0 : w.unmapPages(iova, pgsize, pgcount);
  }

  iovaToPhys(iova: number): number {
    const w = this.windowFor(iova, 1);
    return w === null ? 0 : w.iovaToPhys(iova);
  }
}
