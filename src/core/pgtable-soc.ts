// Page-table writers for the SoC IOMMUs, with Linux's semantics and return values:
//   DartPageTable     drivers/iommu/io-pgtable-dart.c (DART1 / DART2 PTEs, 2 or 3 tables below the TTBR)
//   RockchipPageTable drivers/iommu/rockchip-iommu.c (v1 / v2 DTE/PTE)
//   MtkV1PageTable    drivers/iommu/mtk_iommu_v1.c (flat 4 MiB table)
//   GartPageTable     drivers/iommu/tegra-gart.c (flat aperture table, kept in memory for the walker)
// The writing runs in core.wasm (assembly/pgtable/{dart,rockchip,flat}.ts); this is the facade.
// Also the shared base (records, hooks, errors) of the TCE facade in pgtable-tce.ts.
//
// Return values are Linux's: map gives the bytes mapped or a negative errno; unmap the bytes
// unmapped (0 when nothing was); iovaToPhys what the driver returns, quirks included (see each
// class). Where the model refuses input Linux trusts its callers with, the facade says so.
import type { Core, CoreExports } from './core.ts';
import { pgtableRegistry, type PgtableHooks } from './pgtable-imports.ts';
import { PgtableConfigError, type TableAllocator } from './pgtable.ts';
import type { DartConfig, FlatConfig, RockchipConfig } from './walk-configs.ts';

export const EADDRINUSE = 98;
export const EOPNOTSUPP = 95;
export const EBUSY = 16;
const EFAULT = 14; // writer-internal: a table access hit unbacked memory (thrown)
const EBADF = 9; // writer-internal: not a live table (thrown)

/** TLB maintenance a SoC writer asks for. */
export interface SocTlbEvent {
  /** addPage: io_pgtable_tlb_add_page (DART); zapLine: RK_MMU_ZAP_ONE_LINE; flushRange: MediaTek v1 range invalidation. */
  kind: 'addPage' | 'zapLine' | 'flushRange';
  iova: number | bigint;
  size: number;
}
export type SocTlbCallback = (e: SocTlbEvent) => void;

/** A table the writer cannot create: `errno` is Linux's negative return (-EINVAL, -ENOMEM, ...). */
export class SocPgtableError extends Error {
  override name = 'SocPgtableError';
  constructor(
    message: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

const TWO32 = 4294967296;
const hex = (v: number | bigint): string => `0x${v.toString(16)}`;
const isNum = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;
function badArgs(args: Record<string, number>): never {
  for (const [n, v] of Object.entries(args)) {
    if (!isNum(v)) throw new RangeError(`${n} must be a non-negative safe integer, got ${v}`);
  }
  throw new RangeError('bad arguments');
}

interface SocRegistry {
  ptr: number;
  capacity: number;
  used: boolean[];
}
const socRegistries = new WeakMap<object, SocRegistry>();

function socRegistry(core: Core): SocRegistry {
  let r = socRegistries.get(core);
  if (r === undefined) {
    r = { ptr: 0, capacity: 0, used: [] };
    socRegistries.set(core, r);
  }
  return r;
}

function growSocRecords(core: Core, reg: SocRegistry, capacity: number): void {
  const size = core.exports.soc_record_size();
  const ptr = core.alloc(capacity * size);
  if (reg.capacity > 0) core.bytes().copyWithin(ptr, reg.ptr, reg.ptr + reg.capacity * size);
  core.exports.soc_records(ptr, capacity);
  reg.ptr = ptr;
  reg.capacity = capacity;
}

/** Shared plumbing of the SoC and TCE facades: record handle, allocator hooks, TLB callbacks, errors. */
export abstract class SocTableBase {
  /** Record handle inside the core. */
  readonly handle: number;
  /** The hook handle the allocator and TLB imports route by. */
  readonly hook: number;
  protected readonly x: CoreExports;
  protected destroyed = false;
  private tlbCb: SocTlbCallback | null;

  protected constructor(
    readonly core: Core,
    readonly allocator: TableAllocator,
    tlb: SocTlbCallback | null,
    create: (s: number, hook: number, flags: number) => number,
    what: string,
  ) {
    if (typeof allocator?.alloc !== 'function' || typeof allocator?.free !== 'function') {
      throw new TypeError(`${what}: the allocator must provide alloc(size) and free(gpa, size)`);
    }
    this.x = core.exports;
    this.tlbCb = tlb;
    const reg = socRegistry(core);
    let s = reg.used.indexOf(false);
    if (s < 0) s = reg.used.length;
    if (s >= reg.capacity) growSocRecords(core, reg, Math.max(64, reg.capacity * 2));
    const hooksReg = pgtableRegistry(core);
    let h = hooksReg.hooks.indexOf(null);
    if (h < 0) h = hooksReg.hooks.length;
    const hooks: PgtableHooks = {
      alloc: (size) => {
        const gpa = allocator.alloc(size);
        if (typeof gpa !== 'number' || Number.isNaN(gpa)) throw new TypeError(`table allocator returned ${String(gpa)} (want an address, or a negative number when out of memory)`);
        if (gpa < 0) return -1;
        if (!Number.isSafeInteger(gpa) || gpa % size !== 0) {
          throw new RangeError(`table allocator returned ${hex(gpa)} for ${size} bytes: a table must be aligned to its size`);
        }
        return gpa;
      },
      free: (gpa, size) => allocator.free(gpa, size),
      tlb: (kind, lo, hi, size) => {
        const cb = this.tlbCb;
        if (cb === null) return;
        const iova = hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
        cb({ kind: kind === 2 ? 'addPage' : kind === 3 ? 'zapLine' : 'flushRange', iova, size });
      },
    };
    hooksReg.hooks[h] = hooks;
    const ret = create(s, h, tlb ? 1 : 0);
    if (ret !== 0) {
      hooksReg.hooks[h] = null;
      if (ret === -EFAULT) throw new Error(`${what}: table memory is not reachable by the core (check the table allocator)`);
      throw new SocPgtableError(`${what}: Linux refuses this table (errno ${ret})`, ret);
    }
    reg.used[s] = true;
    this.handle = s;
    this.hook = h;
  }

  /** Replaces (or removes, with null) the TLB callback. */
  setTlb(cb: SocTlbCallback | null): void {
    this.tlbCb = cb;
    this.check(this.x.soc_set_flags(this.handle, cb ? 1 : 0));
  }

  protected check(r: number): number {
    if (r === -EFAULT) throw new Error('page-table access hit guest memory nobody backs (check the table allocator)');
    if (r === -EBADF) throw new Error(this.destroyed ? 'this page table was destroyed' : `page-table handle ${this.handle} is not live`);
    return r;
  }

  /** Table allocations alive. */
  liveTables(): number {
    return this.check(this.x.soc_live(this.handle));
  }

  /** WARN / WARN_ON / BUG_ON hits so far. */
  warnings(): number {
    return this.check(this.x.soc_warnings(this.handle));
  }

  /** Frees every table through the allocator (the format's free function) and releases the handle. */
  destroy(): void {
    if (this.destroyed) return;
    this.check(this.x.soc_destroy(this.handle));
    this.destroyed = true;
    pgtableRegistry(this.core).hooks[this.hook] = null;
    socRegistry(this.core).used[this.handle] = false;
  }

  /** map as the format defines it, folded: bytes mapped or a negative errno. */
  protected mapRaw(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    if (!(isNum(iova) && isNum(paddr) && isNum(pgsize) && isNum(pgcount))) badArgs({ iova, paddr, pgsize, pgcount });
    if (!Number.isInteger(prot)) throw new RangeError(`prot must be an integer of IOMMU_* flags, got ${prot}`);
    const r = this.x.soc_map(this.handle, iova, paddr, pgsize, pgcount, prot >>> 0);
    return r === -EFAULT || r === -EBADF ? this.check(r) : r;
  }
  protected unmapRaw(iova: number, pgsize: number, pgcount: number, flags: number): number {
    if (!(isNum(iova) && isNum(pgsize) && isNum(pgcount))) badArgs({ iova, pgsize, pgcount });
    const r = this.x.soc_unmap(this.handle, iova, pgsize, pgcount, flags);
    return r < 0 ? this.check(r) : r;
  }
  protected physRaw(iova: number): number {
    if (!isNum(iova)) throw new RangeError(`iova must be a non-negative safe integer, got ${iova}`);
    return this.check(this.x.soc_iova_to_phys(this.handle, iova));
  }
  protected root(i = 0): number {
    return this.check(this.x.soc_root(this.handle, i));
  }
}

// ---------------------------------------------------------------------------------------------
// Apple DART

export interface DartTableConfig {
  /** APPLE_DART (DART1 PTEs: t8020, USB4) or APPLE_DART2 (t6000, t8110). */
  fmt: 'DART1' | 'DART2';
  ias: number;
  /** 36 or 42. */
  oas: number;
  /** The single DART page size: 0x1000 or 0x4000. */
  pgsizeBitmap: number;
  /** Default true; io-pgtable-dart refuses a non-coherent walk. */
  coherentWalk?: boolean;
}

export interface DartGeometry {
  fmt: 'DART1' | 'DART2';
  ias: number;
  oas: number;
  pgsize: number;
  pageShift: number;
  bitsPerLevel: number;
  /** Linux's data->levels: the tables below the TTBR plus the TTBR level (apple_dart_cfg.n_levels). */
  levels: number;
  tblBits: number;
  /** apple_dart_cfg.n_ttbrs. */
  nTtbrs: number;
}

/** apple_dart_alloc_pgtable / dart_alloc_pgtable's checks and geometry; throws PgtableConfigError where Linux returns NULL. */
export function dartGeometry(c: DartTableConfig): DartGeometry {
  if (c.fmt !== 'DART1' && c.fmt !== 'DART2') throw new TypeError(`unknown DART format "${String(c.fmt)}"`);
  for (const k of ['ias', 'oas'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1 || c[k] > 64) throw new RangeError(`${k} must be an integer number of bits, got ${c[k]}`);
  }
  if (!(c.coherentWalk ?? true)) throw new PgtableConfigError('io-pgtable-dart refuses this configuration: the walk must be coherent');
  if (c.oas !== 36 && c.oas !== 42) throw new PgtableConfigError(`io-pgtable-dart refuses this configuration: oas ${c.oas} is neither 36 nor 42`);
  if (c.ias > c.oas) throw new PgtableConfigError(`io-pgtable-dart refuses this configuration: ias ${c.ias} > oas ${c.oas}`);
  if (c.pgsizeBitmap !== 0x1000 && c.pgsizeBitmap !== 0x4000) {
    throw new PgtableConfigError(`io-pgtable-dart refuses this configuration: pgsize_bitmap ${hex(c.pgsizeBitmap)} is neither 4 KiB nor 16 KiB`);
  }
  const maxTblBits = c.pgsizeBitmap === 0x1000 ? 2 : 0;
  const pageShift = c.pgsizeBitmap === 0x1000 ? 12 : 14;
  const bpl = pageShift - 3;
  const vaBits = c.ias - pageShift;
  // C integer division truncates toward zero.
  const levels = Math.max(2, Math.trunc((vaBits - maxTblBits + bpl - 1) / bpl));
  if (levels > 3) throw new PgtableConfigError(`io-pgtable-dart refuses this configuration: ias ${c.ias} needs ${levels} tables below the TTBR (at most 3)`);
  const tblBits = Math.max(0, vaBits - bpl * levels);
  if (tblBits > maxTblBits) throw new PgtableConfigError(`io-pgtable-dart refuses this configuration: ${tblBits} TTBR index bits (at most ${maxTblBits})`);
  return { fmt: c.fmt, ias: c.ias, oas: c.oas, pgsize: c.pgsizeBitmap, pageShift, bitsPerLevel: bpl, levels: levels + 1, tblBits, nTtbrs: 1 << tblBits };
}

/** An io-pgtable-dart table in guest memory. */
export class DartPageTable extends SocTableBase {
  readonly config: DartGeometry;
  /** Top-table address per TTBR (apple_dart_cfg.ttbr[]). */
  readonly ttbrs: readonly number[];

  constructor(core: Core, config: DartTableConfig, allocator: TableAllocator, tlb: SocTlbCallback | null = null) {
    const geo = dartGeometry(config);
    super(core, allocator, tlb, (s, h, f) => core.exports.soc_dart_create(s, h, geo.fmt === 'DART1' ? 1 : 2, geo.pageShift, geo.levels, geo.tblBits, geo.oas, f), 'DartPageTable');
    this.config = geo;
    this.ttbrs = Array.from({ length: geo.nTtbrs }, (_, i) => this.root(i));
  }

  /** map_pages: bytes mapped, or -EINVAL / -ERANGE / -EEXIST / -ENOMEM. */
  map(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    return this.mapRaw(iova, paddr, pgsize, pgcount, prot);
  }

  /** unmap_pages: bytes unmapped (0 on bad arguments, no leaf table, or a hole at the start). `queued`: no add_page callbacks. */
  unmap(iova: number, pgsize: number, pgcount: number, opts: { queued?: boolean } = {}): number {
    return this.unmapRaw(iova, pgsize, pgcount, opts.queued ? 1 : 0);
  }

  /** iova_to_phys: any non-zero entry counts as present (VALID is not tested); 0 when unmapped. */
  iovaToPhys(iova: number): number {
    return this.physRaw(iova);
  }

  /** The walker configuration of one SID attached to this table (t8020-style 4 TTBRs when the table uses TTBR index bits). */
  walkerConfig(): DartConfig {
    const g = this.config;
    const ttbrs: (number | null)[] = g.tblBits === 0 ? [this.ttbrs[0]!] : [0, 1, 2, 3].map((i) => this.ttbrs[i] ?? null);
    return { pte: g.fmt === 'DART1' ? 1 : 2, pageShift: g.pageShift, tables: g.levels - 1, ttbrs, ias: g.ias };
  }
}

// ---------------------------------------------------------------------------------------------
// Rockchip

/** Rockchip's pgsize_bitmap: every power of two from 4 KiB to 4 MiB. */
export const RK_IOMMU_PGSIZE_BITMAP = 0x007ff000;

/** A Rockchip IOMMU domain's tables (v1 "rockchip,iommu" or v2 "rockchip,rk3568-iommu"). */
export class RockchipPageTable extends SocTableBase {
  /** Directory Table address (DTE_ADDR before encoding). */
  readonly dt: number;
  readonly version: 1 | 2;

  constructor(core: Core, version: 1 | 2, allocator: TableAllocator, tlb: SocTlbCallback | null = null) {
    if (version !== 1 && version !== 2) throw new TypeError(`Rockchip IOMMU version must be 1 or 2, got ${String(version)}`);
    super(core, allocator, tlb, (s, h, f) => core.exports.soc_rk_create(s, h, version, f), 'RockchipPageTable');
    this.version = version;
    this.dt = this.root();
  }

  /**
   * rk_iommu_map of `size` bytes (one size of RK_IOMMU_PGSIZE_BITMAP, iova and paddr aligned to
   * it, as iommu_map guarantees; else -EINVAL): `size`, or -EADDRINUSE (a VALID PTE in the
   * range; what this call wrote is invalidated again) or -ENOMEM.
   */
  map(iova: number, paddr: number, size: number, prot: number): number {
    return this.mapRaw(iova, paddr, size, 1, prot);
  }

  /** rk_iommu_unmap: bytes unmapped (0 when the DTE is not VALID; stops at the first PTE that is not VALID). */
  unmap(iova: number, size: number): number {
    return this.unmapRaw(iova, size, 1, 0);
  }

  /** rk_iommu_iova_to_phys: page address + offset, 0 when the DTE or PTE is not VALID. */
  iovaToPhys(iova: number): number {
    return this.physRaw(iova);
  }

  walkerConfig(): RockchipConfig {
    return { version: this.version, dt: this.dt };
  }
}

// ---------------------------------------------------------------------------------------------
// MediaTek M4U v1

/** The single 4 MiB flat table of mtk_iommu_v1 (4 KiB pages over 4 GiB). */
export class MtkV1PageTable extends SocTableBase {
  readonly table: number;

  constructor(core: Core, allocator: TableAllocator, tlb: SocTlbCallback | null = null) {
    super(core, allocator, tlb, (s, h, f) => core.exports.soc_mtk_create(s, h, f), 'MtkV1PageTable');
    this.table = this.root();
  }

  /**
   * mtk_iommu_v1_map of `pgcount` 4 KiB pages (prot is ignored, as by the driver): { ret, mapped }
   * — ret -EEXIST when a non-zero entry stopped it, with the pages before it left mapped.
   */
  mapPages(iova: number, paddr: number, pgcount: number): { ret: number; mapped: number } {
    const r = this.mapRaw(iova, paddr, 0x1000, pgcount, 0);
    return r < 0 ? { ret: r, mapped: this.x.soc_last_mapped() } : { ret: 0, mapped: r };
  }

  /** mtk_iommu_v1_unmap: zeroes the entries whatever they held; pgcount * 4 KiB. */
  unmap(iova: number, pgcount: number): number {
    return this.unmapRaw(iova, 0x1000, pgcount, 0);
  }

  /** mtk_iommu_v1_iova_to_phys: the entry without its low 12 bits (no validity test, no in-page offset). */
  iovaToPhys(iova: number): number {
    return this.physRaw(iova);
  }

  walkerConfig(): FlatConfig {
    return { table: this.table, aperture: 0, validBit: 1, addrTop: 32, inBits: 32 };
  }
}

// ---------------------------------------------------------------------------------------------
// Tegra GART

export interface GartConfig {
  /** Aperture base (Tegra20 DT: 0x58000000). */
  aperture: number;
  /** Aperture bytes (Tegra20: 32 MiB). */
  size: number;
  /** The gart_debug module parameter: refuse mapping a VALID entry / unmapping an invalid one. */
  debug?: boolean;
}

/** Tegra20 GART entries, kept in a table in guest memory so the flat walker can read them. */
export class GartPageTable extends SocTableBase {
  readonly table: number;

  constructor(core: Core, readonly gart: GartConfig, allocator: TableAllocator) {
    super(core, allocator, null, (s, h, f) => core.exports.soc_gart_create(s, h, gart.aperture, gart.size, f | (gart.debug ? 1 << 8 : 0)), 'GartPageTable');
    this.table = this.root();
  }

  /** gart_iommu_map of exactly 4 KiB inside the aperture: 4096, or -EINVAL. */
  map(iova: number, paddr: number, bytes: number): number {
    return this.mapRaw(iova, paddr, bytes, 1, 0);
  }

  /** gart_iommu_unmap: bytes, or 0. */
  unmap(iova: number, bytes: number): number {
    return this.unmapRaw(iova, bytes, 1, 0);
  }

  /** gart_iommu_iova_to_phys: entry bits 30:12 (no offset); outside the aperture (u32)-EINVAL = 0xFFFFFFEA. */
  iovaToPhys(iova: number): number {
    return this.physRaw(iova);
  }

  walkerConfig(): FlatConfig {
    return { table: this.table, aperture: this.gart.aperture, validBit: 31, addrTop: 31, inBits: Math.log2(this.gart.size) };
  }
}
