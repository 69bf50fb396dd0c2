// The Intel VT-d second-stage page-table writer: Linux's generic page-table code for the
// `vtdss` format (drivers/iommu/generic_pt/iommu_pt.h + fmt/vtdss.h), which the intel driver
// uses for second-stage domains since 2025, over tables in guest memory. The walking and
// writing run in core.wasm (assembly/pgtable/vtd.ts, where the semantics and the differences
// from the pre-2025 intel driver are listed); this file is the facade.
//
// Return values are Linux's: map gives the bytes mapped or a negative errno (-EINVAL,
// -ERANGE, -ENXIO, -EOVERFLOW, -EADDRINUSE, -ENOMEM; mapPages also gives the bytes installed
// before an error); unmap gives the bytes unmapped (possibly more than asked when the range
// starts at a large leaf, 0 on bad input); iovaToPhys gives 0 for an unmapped address and
// -ERANGE beyond the aperture (Linux returns (phys_addr_t)-ERANGE there).
import type { Core } from './core.ts';
import { pgtableRegistry, type PgtableHooks } from './pgtable-imports.ts';
import { IOMMU_READ, IOMMU_WRITE, PgtableConfigError, readGuest64, type TableAllocator } from './pgtable.ts';
import type { VtdSsConfig } from './walk-configs.ts';

export const ENXIO = 6;
export const EOVERFLOW = 75;
export const EADDRINUSE = 98;
const EFAULT = 14;
const EBADF = 9;

/** Writer feature bits (the generic_pt features a VT-d second-stage table uses). */
const FEAT_FORCE_COHERENCE = 1;
const FEAT_FORCE_WRITEABLE = 2;
const FEAT_DMA_INCOHERENT = 4;

export interface VtdSsWriterConfig {
  /** Adjusted guest address width of the unit (AGAW, from CAP.SAGAW): 39, 48 or 57 bits. */
  addressWidth: 39 | 48 | 57 | number;
  /** CAP.MGAW + 1: the domain's input width is min(addressWidth, mgaw) (default addressWidth). */
  mgaw?: number;
  /** Output address bits the table may hold (hw_max_oasz_lg2, default 52, the vtdss maximum). */
  oas?: number;
  /** CAP.SLLPS bit 0: 2 MiB leaves. */
  pages2M?: boolean;
  /** CAP.SLLPS bit 1: 1 GiB leaves. */
  pages1G?: boolean;
  /** ECAP.SC: the unit supports snoop control (SNP in leaves). */
  snoopControl?: boolean;
  /** Start with snooping enforced (PT_FEAT_VTDSS_FORCE_COHERENCE: SNP in every leaf); needs snoopControl. */
  forceSnooping?: boolean;
  /** ECAP.C: page walks snoop the CPU caches (default true); false asks for cache flushes after writes (counted). */
  coherent?: boolean;
  /** The domain is a nesting parent: read-only mappings are refused (ERRATA_772415_SPR17, PT_FEAT_VTDSS_FORCE_WRITEABLE). */
  nestParent?: boolean;
}

/** The geometry Linux derives for the domain. */
export interface VtdSsGeometry {
  /** Input bits (max_vasz_lg2). */
  vaBits: number;
  /** Output bits (max_oasz_lg2). */
  oaBits: number;
  /** 3, 4 or 5. */
  levels: number;
  /** generic_pt top level (levels - 1). */
  topLevel: number;
  /** The context/PASID entry AW code (vtdss_pt_iommu_fmt_hw_info: top_level - 1). */
  aw: number;
  /** domain->pgsize_bitmap: 4K, plus 2M / 1G as CAP.SLLPS allows, below 2^oaBits. */
  pgsizeBitmap: number;
}

/** Linux's configuration step for a second-stage domain: throws where Linux refuses the domain. */
export function vtdSsGeometry(c: VtdSsWriterConfig): VtdSsGeometry {
  const aw = c.addressWidth;
  if (aw !== 39 && aw !== 48 && aw !== 57) throw new RangeError(`VT-d addressWidth must be 39, 48 or 57 (an AGAW), got ${aw}`);
  const mgaw = c.mgaw ?? aw;
  if (!Number.isInteger(mgaw) || mgaw < 1 || mgaw > 64) throw new RangeError(`mgaw must be an integer number of bits, got ${mgaw}`);
  const vaBits = Math.min(aw, mgaw);
  const oaBits = c.oas ?? 52;
  if (!Number.isInteger(oaBits) || oaBits < 12 || oaBits > 64) throw new RangeError(`oas must be an integer number of bits, got ${oaBits}`);
  // vtdss_pt_iommu_fmt_init (and pt_iommu_init's clamp of the OA to the format's 52 bits).
  let topLevel: number;
  if (vaBits > 48) topLevel = 4;
  else if (vaBits > 39) topLevel = 3;
  else if (vaBits > 30) topLevel = 2;
  else throw new PgtableConfigError(`vtdss refuses a ${vaBits}-bit input width (-EOPNOTSUPP)`);
  const oa = Math.min(oaBits, 52);
  let bitmap = 0x1000;
  if (c.pages2M) bitmap += 0x200000;
  if (c.pages1G) bitmap += 0x40000000;
  // get_info hides page sizes larger than the maximum OA.
  let kept = 0;
  for (const s of [0x1000, 0x200000, 0x40000000]) if (bitmap & s && Math.log2(s) < oa) kept += s;
  if (c.forceSnooping && !c.snoopControl) throw new PgtableConfigError('enforcing snooping needs ECAP.SC (Linux: -EINVAL)');
  return { vaBits, oaBits: oa, levels: topLevel + 1, topLevel, aw: topLevel - 1, pgsizeBitmap: kept };
}

// ---- 64-bit helpers ----
const U64_MAX = (1n << 64n) - 1n;
function toU64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw new RangeError(`${what} must fit in 64 bits unsigned, got ${v}`);
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative safe integer or a bigint, got ${v}`);
  return BigInt(v);
}
/** A u64 size/count as the f64 the writer reads: exact below 2^53, beyond rounded (only products matter). */
function sizeArg(v: bigint): number {
  return Number(v);
}
const isAddr = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;
const lo32 = (v: bigint): number => Number(v & 0xffffffffn);
const hi32 = (v: bigint): number => Number(v >> 32n);

interface VtdRecords {
  ptr: number;
  capacity: number;
}
const vtdRecords = new WeakMap<object, VtdRecords>();

function ensureRecords(core: Core, h: number): void {
  let r = vtdRecords.get(core);
  if (r === undefined) {
    r = { ptr: 0, capacity: 0 };
    vtdRecords.set(core, r);
  }
  if (h < r.capacity) return;
  const capacity = Math.max(256, r.capacity * 2, h + 1);
  const recSize = core.exports.pgt_vtd_record_size();
  const ptr = core.alloc(capacity * recSize);
  if (r.capacity > 0) core.bytes().copyWithin(ptr, r.ptr, r.ptr + r.capacity * recSize);
  core.exports.pgt_vtd_records(ptr, capacity);
  r.ptr = ptr;
  r.capacity = capacity;
}

/** One table reachable from the top, as tables() lists them. */
export interface VtdTablePage {
  pa: number;
  /** generic_pt level: 0 = SS-PTE table ... 4 = SS-PML5 table. */
  level: number;
  /** Non-zero entries: [index, entry]. */
  entries: Array<[number, bigint]>;
}

/** A VT-d second-stage I/O page table in guest memory, written as current Linux writes it. */
export class VtdSsPageTable {
  readonly geometry: VtdSsGeometry;
  /** SSPTPTR: the top table's guest-physical address. */
  readonly root: number;
  readonly handle: number;
  private readonly x: Core['exports'];
  private destroyed = false;
  private readonly snoopControl: boolean;
  private readonly cfg: VtdSsWriterConfig;

  constructor(
    readonly core: Core,
    config: VtdSsWriterConfig,
    readonly allocator: TableAllocator,
  ) {
    if (typeof allocator?.alloc !== 'function' || typeof allocator?.free !== 'function') {
      throw new TypeError('VtdSsPageTable: the allocator must provide alloc(size) and free(gpa, size)');
    }
    const geo = vtdSsGeometry(config);
    this.geometry = geo;
    this.cfg = { ...config };
    this.snoopControl = config.snoopControl ?? false;
    this.x = core.exports;
    const reg = pgtableRegistry(core);
    let h = reg.hooks.indexOf(null);
    if (h < 0) h = reg.hooks.length;
    ensureRecords(core, h);
    const hooks: PgtableHooks = {
      alloc: (size) => {
        const gpa = allocator.alloc(size);
        if (typeof gpa !== 'number' || Number.isNaN(gpa)) throw new TypeError(`table allocator returned ${String(gpa)} (want an address, or a negative number when out of memory)`);
        if (gpa < 0) return -1;
        if (!Number.isSafeInteger(gpa) || gpa % size !== 0) throw new RangeError(`table allocator returned 0x${gpa.toString(16)} for ${size} bytes: a table must be aligned to its size`);
        return gpa;
      },
      free: (gpa, size) => allocator.free(gpa, size),
      tlb: () => {},
    };
    reg.hooks[h] = hooks;
    let feat = 0;
    if (config.forceSnooping) feat |= FEAT_FORCE_COHERENCE;
    if (config.nestParent) feat |= FEAT_FORCE_WRITEABLE;
    if (config.coherent === false) feat |= FEAT_DMA_INCOHERENT;
    const ret = this.x.pgt_vtd_create(h, geo.topLevel, geo.vaBits, geo.oaBits, geo.pgsizeBitmap, feat);
    if (ret !== 0) {
      reg.hooks[h] = null;
      if (ret === -12) throw new Error('VtdSsPageTable: the allocator has no 4096 bytes for the top table');
      throw new Error(`VtdSsPageTable: the top table is not reachable by the core (errno ${-ret})`);
    }
    this.handle = h;
    this.root = this.x.pgt_vtd_pgd(h);
  }

  private check(r: number): number {
    if (r === -EFAULT) throw new Error('page-table access hit guest memory nobody backs (check the table allocator)');
    if (r === -EBADF) throw new Error(this.destroyed ? 'this page table was destroyed' : `page-table handle ${this.handle} is not live`);
    return r;
  }

  /**
   * map_pages with numbers: the bytes mapped, or a negative errno (the bytes installed before
   * an error are lost here; mapPages reports them).
   */
  map(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    if (!(isAddr(iova) && isAddr(paddr) && isAddr(pgsize) && isAddr(pgcount))) {
      const r = this.mapPages(iova, paddr, pgsize, pgcount, prot);
      return r.ret !== 0 ? r.ret : r.mapped;
    }
    const r = this.x.pgt_vtd_map(this.handle, iova, paddr, pgsize, pgcount, prot >>> 0);
    return r === -EFAULT || r === -EBADF ? this.check(r) : r;
  }

  /** map_pages as Linux returns it: ret (0 or -errno) and *mapped (bytes installed, also on error). */
  mapPages(iova: number | bigint, paddr: number | bigint, pgsize: number | bigint, pgcount: number | bigint, prot: number): { ret: number; mapped: number } {
    const i = toU64(iova, 'iova');
    const p = toU64(paddr, 'paddr');
    const s = toU64(pgsize, 'pgsize');
    const c = toU64(pgcount, 'pgcount');
    if (!Number.isInteger(prot)) throw new RangeError(`prot must be an integer of IOMMU_* flags, got ${prot}`);
    const r = this.check(this.x.pgt_vtd_map_w(this.handle, lo32(i), hi32(i), lo32(p), hi32(p), sizeArg(s), sizeArg(c), prot >>> 0));
    return r < 0 ? { ret: r, mapped: this.x.pgt_vtd_mapped() } : { ret: 0, mapped: r };
  }

  /** unmap_pages: the bytes unmapped. */
  unmap(iova: number | bigint, pgsize: number | bigint, pgcount: number | bigint): number {
    if (typeof iova === 'number' && typeof pgsize === 'number' && typeof pgcount === 'number' && isAddr(iova) && isAddr(pgsize) && isAddr(pgcount)) {
      return this.check(this.x.pgt_vtd_unmap(this.handle, iova, pgsize, pgcount));
    }
    const i = toU64(iova, 'iova');
    return this.check(this.x.pgt_vtd_unmap_w(this.handle, lo32(i), hi32(i), sizeArg(toU64(pgsize, 'pgsize')), sizeArg(toU64(pgcount, 'pgcount'))));
  }

  /** iova_to_phys: the output address; 0 when unmapped; -ERANGE beyond the aperture. */
  iovaToPhys(iova: number | bigint): number {
    if (typeof iova === 'number' && isAddr(iova)) return this.check(this.x.pgt_vtd_iova_to_phys(this.handle, iova));
    const i = toU64(iova, 'iova');
    return this.check(this.x.pgt_vtd_iova_to_phys_w(this.handle, lo32(i), hi32(i)));
  }

  /**
   * intel_iommu_enforce_cache_coherency for a second-stage domain: needs ECAP.SC and no
   * mapping made yet (else false); from then on every leaf gets SNP.
   */
  enforceCacheCoherency(): boolean {
    const f = this.check(this.x.pgt_vtd_features(this.handle));
    if (f & FEAT_FORCE_COHERENCE) return true;
    if (!this.snoopControl || this.check(this.x.pgt_vtd_has_mappings(this.handle)) !== 0) return false;
    this.check(this.x.pgt_vtd_set_features(this.handle, f | FEAT_FORCE_COHERENCE));
    return true;
  }

  /** The Walker configuration for these tables (context/PASID entry SSPTPTR and AW, CAP/ECAP). */
  walkerConfig(extra: Partial<VtdSsConfig> = {}): VtdSsConfig {
    return {
      root: this.root,
      aw: this.geometry.aw,
      pages2M: this.cfg.pages2M ?? false,
      pages1G: this.cfg.pages1G ?? false,
      snoop: this.snoopControl,
      ...extra,
    };
  }

  /** Table pages alive, the top one included. */
  liveTables(): number {
    return this.check(this.x.pgt_vtd_live(this.handle));
  }

  /** WARN_ON hits so far. */
  warnings(): number {
    return this.check(this.x.pgt_vtd_warnings(this.handle));
  }

  /** Cache-line flush requests made so far (only when the unit is not coherent, ECAP.C=0). */
  cacheFlushes(): number {
    return this.check(this.x.pgt_vtd_cache_flushes(this.handle));
  }

  readPte(gpa: number): bigint {
    return readGuest64(this.core, gpa);
  }

  /** Every table reachable from the top, depth-first in index order. */
  tables(): VtdTablePage[] {
    const out: VtdTablePage[] = [];
    const visit = (pa: number, level: number): void => {
      const page: VtdTablePage = { pa, level, entries: [] };
      out.push(page);
      const kids: number[] = [];
      for (let i = 0; i < 512; i++) {
        const e = this.readPte(pa + i * 8);
        if (e === 0n) continue;
        page.entries.push([i, e]);
        const leaf = level === 0 || (level <= 2 && (e & 0x80n) !== 0n);
        if (!leaf) kids.push(Number(e & 0x000f_ffff_ffff_f000n));
      }
      for (const k of kids) visit(k, level - 1);
    };
    visit(this.root, this.geometry.topLevel);
    return out;
  }

  /** deinit: frees every table through the allocator (the top first, then the rest pre-order). */
  destroy(): void {
    if (this.destroyed) return;
    this.check(this.x.pgt_vtd_destroy(this.handle));
    this.destroyed = true;
    pgtableRegistry(this.core).hooks[this.handle] = null;
  }
}

/** IOMMU prot helpers re-exported for convenience. */
export const VTD_PROT = { READ: IOMMU_READ, WRITE: IOMMU_WRITE } as const;
