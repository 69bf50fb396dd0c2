// The ARM LPAE page-table writer: Linux's io-pgtable-arm (map_pages / unmap_pages /
// iova_to_phys / pgtable_walk) over tables in guest memory, with the configuration step
// (restricted ias/oas/pgsize_bitmap, levels, stage-2 concatenation) and the register values
// Linux computes (TTBR/TCR/MAIR, VTTBR/VTCR, Mali TRANSTAB/MEMATTR).
//
// The walking and writing run in core.wasm (assembly/pgtable); this file is the facade.
// Hot paths (map, unmap, iovaToPhys) take plain numbers (non-negative safe integers) and cross
// into WASM once; the *Pages / bigint-accepting forms cover full 64-bit addresses.
//
// Return values are Linux's: map gives the bytes mapped or a negative errno (-EINVAL,
// -ERANGE, -EEXIST, -ENOMEM); unmap gives the bytes unmapped, 0, or -ENOENT where Linux
// returns (size_t)-ENOENT; iovaToPhys gives 0 for an unmapped address.
import type { Core } from './core.ts';
import { pgtableRegistry, type PgtableHooks } from './pgtable-imports.ts';

// ---- Linux constants (include/linux/iommu.h, include/linux/io-pgtable.h, errno) ----
export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_CACHE = 1 << 2;
export const IOMMU_NOEXEC = 1 << 3;
export const IOMMU_MMIO = 1 << 4;
export const IOMMU_PRIV = 1 << 5;
/** IOMMU_* prot flags by the names the vectors use. */
export const IOMMU_PROT: Readonly<Record<string, number>> = {
  READ: IOMMU_READ,
  WRITE: IOMMU_WRITE,
  CACHE: IOMMU_CACHE,
  NOEXEC: IOMMU_NOEXEC,
  MMIO: IOMMU_MMIO,
  PRIV: IOMMU_PRIV,
};

export const IO_PGTABLE_QUIRK_ARM_NS = 1 << 0;
export const IO_PGTABLE_QUIRK_NO_PERMS = 1 << 1;
export const IO_PGTABLE_QUIRK_ARM_MTK_EXT = 1 << 3;
export const IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT = 1 << 4;
export const IO_PGTABLE_QUIRK_ARM_TTBR1 = 1 << 5;
export const IO_PGTABLE_QUIRK_ARM_OUTER_WBWA = 1 << 6;
export const IO_PGTABLE_QUIRK_ARM_HD = 1 << 7;
export const IO_PGTABLE_QUIRK_ARM_S2FWB = 1 << 8;
export const IO_PGTABLE_QUIRK_NO_WARN = 1 << 9;
/** Quirk bits by their Linux names. */
export const IO_PGTABLE_QUIRKS: Readonly<Record<string, number>> = {
  IO_PGTABLE_QUIRK_ARM_NS,
  IO_PGTABLE_QUIRK_NO_PERMS,
  IO_PGTABLE_QUIRK_ARM_MTK_EXT,
  IO_PGTABLE_QUIRK_ARM_MTK_TTBR_EXT,
  IO_PGTABLE_QUIRK_ARM_TTBR1,
  IO_PGTABLE_QUIRK_ARM_OUTER_WBWA,
  IO_PGTABLE_QUIRK_ARM_HD,
  IO_PGTABLE_QUIRK_ARM_S2FWB,
  IO_PGTABLE_QUIRK_NO_WARN,
};

export const ENOENT = 2;
export const ENOMEM = 12;
export const EEXIST = 17;
export const EINVAL = 22;
export const ERANGE = 34;
const EFAULT = 14; // writer-internal: a table access hit unbacked memory (thrown, never returned)
const EBADF = 9; // writer-internal: the handle is not a live table (thrown, never returned)

/** Linux's enum io_pgtable_fmt values for the formats this writer implements. */
export const LPAE_FORMATS = {
  ARM_32_LPAE_S1: 0,
  ARM_32_LPAE_S2: 1,
  ARM_64_LPAE_S1: 2,
  ARM_64_LPAE_S2: 3,
  ARM_MALI_LPAE: 5,
} as const;
export type LpaeFormat = keyof typeof LPAE_FORMATS;

export interface LpaeConfig {
  fmt: LpaeFormat;
  /** Input address size requested (bits). */
  ias: number;
  /** Output address size requested (bits). */
  oas: number;
  /** Page sizes offered (bit n set: 2^n-byte pages), e.g. 0x40201000 for 4K|2M|1G. */
  pgsizeBitmap: number;
  /** IO_PGTABLE_QUIRK_* bits. */
  quirks?: number;
  /** The IOMMU walks tables coherently (default true): decides the cacheability fields. */
  coherentWalk?: boolean;
  /** Linux's PAGE_SIZE, which picks the granule when the bitmap offers several (default 4096). */
  hostPageSize?: number;
}

/** The configuration after io-pgtable restricted it, and the geometry it chose. */
export interface LpaeGeometry {
  fmt: LpaeFormat;
  iasRequested: number;
  oasRequested: number;
  pgsizeBitmapRequested: number;
  ias: number;
  oas: number;
  pgsizeBitmap: number;
  quirks: number;
  coherentWalk: boolean;
  hostPageSize: number;
  granule: number;
  bitsPerLevel: number;
  startLevel: number;
  levels: number;
  /** Root index bits, including stage-2 concatenation. */
  pgdBits: number;
  /** Root table bytes, including stage-2 concatenation. */
  pgdBytes: number;
  ptesPerTable: number;
}

export interface S1Registers {
  kind: 's1';
  ttbr: bigint;
  tcr: { ips: number; tg: number; sh: number; orgn: number; irgn: number; tsz: number };
  /** tsz | irgn<<8 | orgn<<10 | sh<<12 | tg<<14 | ips<<32 (the TTBR0 half of TCR_EL1). */
  tcrComposed: bigint;
  mair: bigint;
}
export interface S2Registers {
  kind: 's2';
  vttbr: bigint;
  vtcr: { ps: number; tg: number; sh: number; orgn: number; irgn: number; sl: number; tsz: number };
  /** tsz | sl<<6 | irgn<<8 | orgn<<10 | sh<<12 | tg<<14 | ps<<16 (VTCR_EL2 layout). */
  vtcrComposed: bigint;
}
export interface MaliRegisters {
  kind: 'mali';
  transtab: bigint;
  memattr: bigint;
}
export type LpaeRegisters = S1Registers | S2Registers | MaliRegisters;

/** Where table pages come from (Linux's cfg->alloc / cfg->free). */
export interface TableAllocator {
  /**
   * Guest-physical address of `size` bytes (a power of two, at least 64) aligned to `size`,
   * in memory the core reaches (its RAM or `core.external`); a negative number when out of
   * memory (the operation then fails with -ENOMEM). The writer clears the table itself.
   */
  alloc(size: number): number;
  /** Gives back a table; `size` is the table's size (Linux passes the unrounded size). */
  free(gpa: number, size: number): void;
}

/** TLB maintenance requested by the writer (Linux's iommu_flush_ops); iova is a bigint only beyond 2^53. */
export interface TlbOps {
  flushWalk(iova: number | bigint, size: number, granule: number): void;
  addPage(iova: number | bigint, granule: number): void;
}

/** One table reachable from the root, as in the vectors' `pages[]`. */
export interface TablePage {
  pa: number;
  level: number;
  iovaBase: bigint;
  tableBytes: number;
  /** Non-zero entries: [index, descriptor]. */
  entries: Array<[number, bigint]>;
}

/** Raised for configurations Linux refuses (its alloc function returns NULL). */
export class PgtableConfigError extends Error {
  override name = 'PgtableConfigError';
}

const SZ_4K = 0x1000n;
const SZ_16K = 0x4000n;
const SZ_64K = 0x10000n;
const SZ_2M = 0x200000n;
const SZ_32M = 0x2000000n;
const SZ_512M = 0x20000000n;
const SZ_1G = 0x40000000n;
const MAX_ADDR_BITS = 52;
const S2_MAX_CONCAT_PAGES = 16;

const lowBit = (x: bigint): number => {
  let n = 0;
  while (((x >> BigInt(n)) & 1n) === 0n) n++;
  return n;
};
const highBit = (x: bigint): number => x.toString(2).length - 1;

function refuse(why: string): never {
  throw new PgtableConfigError(`io-pgtable refuses this configuration: ${why}`);
}

/**
 * Linux's configuration step (arm_lpae_restrict_pgsizes, arm_lpae_alloc_pgtable and the
 * format's alloc function, minus the root allocation): the restricted config and geometry.
 * Throws PgtableConfigError where Linux would return NULL.
 */
export function lpaeGeometry(input: LpaeConfig): LpaeGeometry {
  const fmt = input.fmt;
  if (!(fmt in LPAE_FORMATS)) throw new TypeError(`unknown LPAE format "${String(fmt)}" (one of ${Object.keys(LPAE_FORMATS).join(', ')})`);
  for (const k of ['ias', 'oas'] as const) {
    if (!Number.isInteger(input[k]) || input[k] < 0 || input[k] > 64) throw new RangeError(`${k} must be an integer number of bits, got ${input[k]}`);
  }
  if (!Number.isSafeInteger(input.pgsizeBitmap) || input.pgsizeBitmap < 0) {
    throw new RangeError(`pgsizeBitmap must be a non-negative integer, got ${input.pgsizeBitmap}`);
  }
  const quirks = input.quirks ?? 0;
  if (!Number.isInteger(quirks) || quirks < 0 || quirks > 0xffffffff) throw new RangeError(`quirks must be a 32-bit bit mask, got ${quirks}`);
  const coherentWalk = input.coherentWalk ?? true;
  const hostPageSize = input.hostPageSize ?? 4096;
  if (![4096, 16384, 65536].includes(hostPageSize)) throw new RangeError(`hostPageSize must be 4096, 16384 or 65536, got ${hostPageSize}`);

  let ias = input.ias;
  let oas = input.oas;
  let bitmap = BigInt(input.pgsizeBitmap);

  // Per-format checks made before arm_lpae_alloc_pgtable.
  const s1 = fmt === 'ARM_64_LPAE_S1' || fmt === 'ARM_32_LPAE_S1';
  const s2 = fmt === 'ARM_64_LPAE_S2' || fmt === 'ARM_32_LPAE_S2';
  if (fmt === 'ARM_32_LPAE_S1' && (ias > 32 || oas > 40)) refuse('ARM_32_LPAE_S1 needs ias <= 32 and oas <= 40');
  if (fmt === 'ARM_32_LPAE_S2' && (ias > 40 || oas > 40)) refuse('ARM_32_LPAE_S2 needs ias <= 40 and oas <= 40');
  if (fmt === 'ARM_MALI_LPAE') {
    if (quirks !== 0) refuse('ARM_MALI_LPAE takes no quirks');
    if (ias > 48 || oas > 40) refuse('ARM_MALI_LPAE needs ias <= 48 and oas <= 40');
  }
  if (fmt !== 'ARM_64_LPAE_S1' && fmt !== 'ARM_64_LPAE_S2') bitmap &= SZ_4K | SZ_2M | SZ_1G;
  if (s1) {
    const allowed = IO_PGTABLE_QUIRK_ARM_NS | IO_PGTABLE_QUIRK_ARM_TTBR1 | IO_PGTABLE_QUIRK_ARM_OUTER_WBWA | IO_PGTABLE_QUIRK_ARM_HD | IO_PGTABLE_QUIRK_NO_WARN;
    if (quirks & ~allowed) refuse(`stage-1 quirks must be among ARM_NS, ARM_TTBR1, ARM_OUTER_WBWA, ARM_HD, NO_WARN (got 0x${quirks.toString(16)})`);
  }
  if (s2 && quirks & ~(IO_PGTABLE_QUIRK_ARM_S2FWB | IO_PGTABLE_QUIRK_NO_WARN)) {
    refuse(`stage-2 quirks must be among ARM_S2FWB, NO_WARN (got 0x${quirks.toString(16)})`);
  }

  // arm_lpae_restrict_pgsizes
  const page = BigInt(hostPageSize);
  const pageMask = ~(page - 1n) & ((1n << 64n) - 1n);
  let granule: bigint;
  if (bitmap & page) granule = page;
  else if (bitmap & ~pageMask & ((1n << 64n) - 1n)) granule = 1n << BigInt(highBit(bitmap & ~pageMask & ((1n << 64n) - 1n)));
  else if (bitmap & pageMask) granule = 1n << BigInt(lowBit(bitmap & pageMask));
  else granule = 0n;
  let maxAddrBits = 48;
  let pageSizes: bigint;
  if (granule === SZ_4K) pageSizes = SZ_4K | SZ_2M | SZ_1G;
  else if (granule === SZ_16K) pageSizes = SZ_16K | SZ_32M;
  else if (granule === SZ_64K) {
    maxAddrBits = 52;
    pageSizes = SZ_64K | SZ_512M;
    if (oas > 48) pageSizes |= 1n << 42n;
  } else pageSizes = 0n;
  bitmap &= pageSizes;
  ias = Math.min(ias, maxAddrBits);
  oas = Math.min(oas, maxAddrBits);

  // arm_lpae_alloc_pgtable
  if (!(bitmap & (SZ_4K | SZ_16K | SZ_64K))) refuse('the page-size bitmap offers no 4K, 16K or 64K granule');
  if (ias > MAX_ADDR_BITS || oas > MAX_ADDR_BITS) refuse('ias and oas must be at most 52 bits');
  const pgShift = lowBit(bitmap);
  const bitsPerLevel = pgShift - 3;
  const vaBits = ias - pgShift;
  if (vaBits <= 0) refuse(`ias ${ias} leaves no bits to translate with a ${2 ** pgShift}-byte granule`);
  const levels0 = Math.ceil(vaBits / bitsPerLevel);
  let startLevel = 4 - levels0;
  let pgdBits = vaBits - bitsPerLevel * (levels0 - 1);
  const g = 2 ** pgShift;

  if (fmt === 'ARM_MALI_LPAE') {
    // Mali needs a full 4-level table regardless of ias.
    if (startLevel > 0) {
      startLevel = 0;
      pgdBits = 0;
    }
  }
  if (s1) {
    if (coherentWalk && quirks & IO_PGTABLE_QUIRK_ARM_OUTER_WBWA) refuse('ARM_OUTER_WBWA with a coherent walk');
    if (![32, 36, 40, 42, 44, 48, 52].includes(oas)) refuse(`oas ${oas} has no IPS encoding`);
  }
  if (s2) {
    // arm_lpae_concat_mandatory
    const concat =
      g === 0x4000 && startLevel === 0
        ? oas === 48 || ias === 48
        : g === 0x1000 && startLevel === 0
          ? oas === 40 || oas === 42
          : g === 0x4000 && startLevel === 1 && oas === 40;
    if (concat) {
      if (2 ** pgdBits > S2_MAX_CONCAT_PAGES) refuse(`stage 2 would need ${2 ** pgdBits} concatenated root tables (more than 16)`);
      pgdBits += bitsPerLevel;
      startLevel++;
    }
    if (![32, 36, 40, 42, 44, 48, 52].includes(oas)) refuse(`oas ${oas} has no PS encoding`);
  }
  return {
    fmt,
    iasRequested: input.ias,
    oasRequested: input.oas,
    pgsizeBitmapRequested: input.pgsizeBitmap,
    ias,
    oas,
    pgsizeBitmap: Number(bitmap),
    quirks,
    coherentWalk,
    hostPageSize,
    granule: g,
    bitsPerLevel,
    startLevel,
    levels: 4 - startLevel,
    pgdBits,
    pgdBytes: 8 * 2 ** pgdBits,
    ptesPerTable: g / 8,
  };
}

const PS_BITS: Readonly<Record<number, number>> = { 32: 0, 36: 1, 40: 2, 42: 3, 44: 4, 48: 5, 52: 6 };

/** The register values Linux computes for a geometry and a root table address. */
export function lpaeRegisters(geo: LpaeGeometry, pgd: number): LpaeRegisters {
  const coherent = geo.coherentWalk;
  const wbwa = (geo.quirks & IO_PGTABLE_QUIRK_ARM_OUTER_WBWA) !== 0;
  if (geo.fmt === 'ARM_MALI_LPAE') {
    // ARM_MALI_LPAE_TTBR_ADRMODE_TABLE | READ_INNER, SHARE_OUTER when coherent; MEMATTR IMP_DEF / WRITE_ALLOC / IMP_DEF.
    return { kind: 'mali', transtab: BigInt(pgd) | 3n | 4n | (coherent ? 16n : 0n), memattr: 0x88n | (0x8dn << 8n) | (0x88n << 16n) };
  }
  const sh = coherent ? 3 : 2;
  const irgn = coherent ? 1 : 0;
  const tsz = 64 - geo.ias;
  const ps = PS_BITS[geo.oas]!;
  if (geo.fmt === 'ARM_64_LPAE_S1' || geo.fmt === 'ARM_32_LPAE_S1') {
    const orgn = coherent ? 1 : wbwa ? 1 : 0;
    const tg1 = (geo.quirks & IO_PGTABLE_QUIRK_ARM_TTBR1) !== 0;
    const tg = geo.granule === 0x1000 ? (tg1 ? 2 : 0) : geo.granule === 0x4000 ? (tg1 ? 1 : 2) : tg1 ? 3 : 1;
    // Built in a 32-bit int upstream: 0xf4 << 24 is negative and sign-extends into the upper half.
    const mair = BigInt.asUintN(64, BigInt(0x44 | (0xff << 8) | (0x04 << 16) | (0xf4 << 24)));
    const tcr = { ips: ps, tg, sh, orgn, irgn, tsz };
    const tcrComposed = BigInt(tsz) | (BigInt(irgn) << 8n) | (BigInt(orgn) << 10n) | (BigInt(sh) << 12n) | (BigInt(tg) << 14n) | (BigInt(ps) << 32n);
    return { kind: 's1', ttbr: BigInt(pgd), tcr, tcrComposed, mair };
  }
  const orgn = coherent ? 1 : 0;
  const tg = geo.granule === 0x1000 ? 0 : geo.granule === 0x4000 ? 2 : 1;
  const s = geo.granule === 0x1000 ? geo.startLevel + 1 : geo.startLevel;
  const sl = ~s & 3;
  const vtcr = { ps, tg, sh, orgn, irgn, sl, tsz };
  const vtcrComposed = BigInt(tsz | (sl << 6) | (irgn << 8) | (orgn << 10) | (sh << 12) | (tg << 14) | (ps << 16));
  return { kind: 's2', vttbr: BigInt(pgd), vtcr, vtcrComposed };
}

// ---- 64-bit helpers for the wide paths ----
const TWO32 = 4294967296;
const U64_MAX = (1n << 64n) - 1n;

function toU64(v: number | bigint, what: string): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw new RangeError(`${what} must fit in 64 bits unsigned, got ${v}`);
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative safe integer or a bigint, got ${v}`);
  return BigInt(v);
}
/** A number that stands for a u64 count/size in the writer: exact below 2^53; beyond, one with the same low 32 bits and non-zero-ness. */
function sizeArg(v: bigint): number {
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return 2 ** 53 + Number(v & 0xffffffffn);
}
/** pgsize beyond 2^53 is never in a bitmap (at most 2^42); 2^63 keeps it non-zero and outside. */
function pgsizeArg(v: bigint): number {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : 2 ** 63;
}
const isAddr = (x: number): boolean => Number.isSafeInteger(x) && x >= 0;
const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** Reads the 64-bit little-endian value at guest-physical `gpa` through the core (bigint; cold path). */
export function readGuest64(core: Core, gpa: number): bigint {
  const lo = core.exports.mem_read64_lo(gpa) >>> 0;
  const hi = core.exports.mem_read64_hi() >>> 0;
  if (core.exports.mem_aborted()) throw new Error(`guest-physical ${hex(gpa)} is not backed by RAM or external memory`);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** An ARM LPAE io-pgtable living in guest memory, written as Linux writes it. */
export class LpaePageTable {
  readonly config: LpaeGeometry;
  readonly registers: LpaeRegisters;
  /** Root table guest-physical address (TTBR / VTTBR / TRANSTAB address). */
  readonly pgd: number;
  /** The writer's handle inside the core. */
  readonly handle: number;
  private readonly x: Core['exports'];
  private destroyed = false;
  private tlbOps: TlbOps | null;

  /**
   * Linux's alloc_io_pgtable_ops for an LPAE format: restricts the config, allocates the root
   * from `allocator` and computes the registers. Throws PgtableConfigError where Linux returns
   * NULL, and an Error when the root cannot be allocated.
   */
  constructor(
    readonly core: Core,
    config: LpaeConfig,
    readonly allocator: TableAllocator,
    tlb: TlbOps | null = null,
  ) {
    if (typeof allocator?.alloc !== 'function' || typeof allocator?.free !== 'function') {
      throw new TypeError('LpaePageTable: the allocator must provide alloc(size) and free(gpa, size)');
    }
    const geo = lpaeGeometry(config);
    this.config = geo;
    this.tlbOps = tlb;
    this.x = core.exports;
    const reg = pgtableRegistry(core);
    let h = reg.hooks.indexOf(null);
    if (h < 0) h = reg.hooks.length;
    if (h >= reg.capacity) growRecords(core, Math.max(1024, reg.capacity * 2));
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
      tlb: (kind, lo, hi, size, granule) => {
        const ops = this.tlbOps;
        if (ops === null) return;
        const iova = hi < 0x200000 ? hi * TWO32 + lo : (BigInt(hi) << 32n) | BigInt(lo);
        if (kind === 1) ops.flushWalk(iova, size, granule);
        else ops.addPage(iova, size);
      },
    };
    reg.hooks[h] = hooks;
    const ret = this.x.pgt_create(
      h,
      LPAE_FORMATS[geo.fmt],
      geo.quirks,
      geo.ias,
      geo.oas,
      geo.pgsizeBitmap,
      geo.bitsPerLevel,
      geo.startLevel,
      geo.pgdBits,
      tlb ? 1 : 0,
    );
    if (ret !== 0) {
      reg.hooks[h] = null;
      if (ret === -ENOMEM) throw new Error(`LpaePageTable: the allocator has no ${Math.max(geo.pgdBytes, 64)} bytes for the root table`);
      throw new Error(`LpaePageTable: root table memory is not reachable by the core (errno ${-ret})`);
    }
    this.handle = h;
    this.pgd = this.x.pgt_pgd(h);
    this.registers = lpaeRegisters(geo, this.pgd);
  }

  /** Replaces (or removes, with null) the TLB callbacks. */
  setTlb(ops: TlbOps | null): void {
    this.tlbOps = ops;
    this.check(this.x.pgt_set_flags(this.handle, ops ? 1 : 0));
  }

  private check(r: number): number {
    if (r === -EFAULT) throw new Error('page-table access hit guest memory nobody backs (check the table allocator)');
    if (r === -EBADF) throw new Error(this.destroyed ? 'this page table was destroyed' : `page-table handle ${this.handle} is not live`);
    return r;
  }

  /**
   * map_pages with numbers (the hot path): maps `pgcount` pages of `pgsize` bytes at `iova`
   * to `paddr` with IOMMU_* `prot`. Returns the bytes mapped (Linux's *mapped; less than
   * pgsize*pgcount when the range crosses a table), or a negative errno: -EINVAL, -ERANGE,
   * -EEXIST, -ENOMEM. Addresses above 2^53 need mapPages with bigints.
   */
  map(iova: number, paddr: number, pgsize: number, pgcount: number, prot: number): number {
    if (!(isAddr(iova) && isAddr(paddr) && isAddr(pgsize) && isAddr(pgcount))) {
      const r = this.mapPages(iova, paddr, pgsize, pgcount, prot);
      return r.ret !== 0 ? r.ret : r.mapped;
    }
    const r = this.x.pgt_map(this.handle, iova, paddr, pgsize, pgcount, prot >>> 0);
    return r < 0 && (r === -EFAULT || r === -EBADF) ? this.check(r) : r;
  }

  /** map_pages as Linux returns it: { ret, mapped }; any 64-bit iova / paddr (numbers or bigints). */
  mapPages(iova: number | bigint, paddr: number | bigint, pgsize: number | bigint, pgcount: number | bigint, prot: number): { ret: number; mapped: number } {
    const i = toU64(iova, 'iova');
    const p = toU64(paddr, 'paddr');
    const s = toU64(pgsize, 'pgsize');
    const c = toU64(pgcount, 'pgcount');
    if (!Number.isInteger(prot)) throw new RangeError(`prot must be an integer of IOMMU_* flags, got ${prot}`);
    const r = this.check(
      this.x.pgt_map_w(this.handle, Number(i & 0xffffffffn), Number(i >> 32n), Number(p & 0xffffffffn), Number(p >> 32n), pgsizeArg(s), sizeArg(c), prot >>> 0),
    );
    return r < 0 ? { ret: r, mapped: 0 } : { ret: 0, mapped: r };
  }

  /**
   * unmap_pages with numbers (the hot path): the bytes unmapped (stopping at the end of one
   * table), 0 (bad arguments, or part of a block), or -ENOENT (-2) where Linux returns
   * (size_t)-ENOENT for a hole.
   */
  unmap(iova: number, pgsize: number, pgcount: number): number {
    if (!(isAddr(iova) && isAddr(pgsize) && isAddr(pgcount))) return this.unmapPages(iova, pgsize, pgcount);
    const r = this.x.pgt_unmap(this.handle, iova, pgsize, pgcount, 0);
    return r < 0 && (r === -EFAULT || r === -EBADF) ? this.check(r) : r;
  }

  /**
   * unmap_pages for any 64-bit iova. `queued`: the caller's iotlb gather is queued (a flush
   * queue), so no add_page callbacks are made (Linux skips them too).
   */
  unmapPages(iova: number | bigint, pgsize: number | bigint, pgcount: number | bigint, opts: { queued?: boolean } = {}): number {
    const i = toU64(iova, 'iova');
    const s = toU64(pgsize, 'pgsize');
    const c = toU64(pgcount, 'pgcount');
    return this.check(this.x.pgt_unmap_w(this.handle, Number(i & 0xffffffffn), Number(i >> 32n), pgsizeArg(s), sizeArg(c), opts.queued ? 1 : 0));
  }

  /** iova_to_phys: the output address, 0 when `iova` is not mapped (bits at or above ias are not checked, as in Linux). */
  iovaToPhys(iova: number | bigint): number {
    if (typeof iova === 'number' && isAddr(iova)) {
      const r = this.x.pgt_iova_to_phys(this.handle, iova);
      return r < 0 ? this.check(r) : r;
    }
    const i = toU64(iova, 'iova');
    const r = this.x.pgt_iova_to_phys_w(this.handle, Number(i & 0xffffffffn), Number(i >> 32n));
    return r < 0 ? this.check(r) : r;
  }

  /**
   * pgtable_walk: ret 0 when a leaf was reached, -EINVAL at an invalid entry; `ptes` holds
   * every entry read by absolute level 0..3 (unreached levels 0).
   */
  walk(iova: number | bigint): { ret: number; ptes: [bigint, bigint, bigint, bigint] } {
    const i = toU64(iova, 'iova');
    const ret = this.check(this.x.pgt_walk(this.handle, Number(i & 0xffffffffn), Number(i >> 32n)));
    const at = this.x.pgt_walk_ptes();
    const v = new DataView(this.core.bytes().buffer, at, 32);
    return { ret, ptes: [v.getBigUint64(0, true), v.getBigUint64(8, true), v.getBigUint64(16, true), v.getBigUint64(24, true)] };
  }

  /** Table allocations alive, root included. */
  liveTables(): number {
    return this.check(this.x.pgt_live(this.handle));
  }

  /** WARN/WARN_ON hits so far; `warnOnce` counts hits of WARN_ONCE sites (Linux prints only the first per boot). */
  warnings(): { warn: number; warnOnce: number } {
    return { warn: this.check(this.x.pgt_warnings(this.handle)), warnOnce: this.check(this.x.pgt_warn_once(this.handle)) };
  }

  /** The descriptor value of the table entry at guest-physical `gpa`. */
  readPte(gpa: number): bigint {
    return readGuest64(this.core, gpa);
  }

  /** Output/next-table address held by a descriptor (bits 47:12; 64K granule: PA[51:48] from bits 15:12). */
  pteAddress(pte: bigint): number {
    const pa = pte & 0x0000_ffff_ffff_f000n;
    if (this.config.granule < 0x10000) return Number(pa);
    return Number((pa | (pa << 36n)) & (0x0000_ffff_ffff_f000n << 4n));
  }

  /** Every table reachable from the root, depth-first in index order (the vectors' `pages[]`). */
  tables(): TablePage[] {
    const out: TablePage[] = [];
    const geo = this.config;
    const visit = (pa: number, level: number, iovaBase: bigint): void => {
      const tableBytes = level === geo.startLevel ? geo.pgdBytes : geo.granule;
      const page: TablePage = { pa, level, iovaBase, tableBytes, entries: [] };
      out.push(page);
      const shift = BigInt((4 - level) * geo.bitsPerLevel + 3);
      const children: Array<[number, bigint]> = [];
      for (let i = 0; i < tableBytes / 8; i++) {
        const pte = this.readPte(pa + i * 8);
        if (pte === 0n) continue;
        page.entries.push([i, pte]);
        if (level < 3 && (pte & 3n) === 3n) children.push([i, pte]);
      }
      for (const [i, pte] of children) visit(this.pteAddress(pte), level + 1, iovaBase + (BigInt(i) << shift));
    };
    visit(this.pgd, geo.startLevel, 0n);
    return out;
  }

  /** free_io_pgtable_ops: frees every table (children first, root last) through the allocator. */
  destroy(): void {
    if (this.destroyed) return;
    this.check(this.x.pgt_destroy(this.handle));
    this.destroyed = true;
    pgtableRegistry(this.core).hooks[this.handle] = null;
  }
}

/** Moves the writer's table records to a block with room for `capacity` tables. */
function growRecords(core: Core, capacity: number): void {
  const reg = pgtableRegistry(core);
  const recSize = core.exports.pgt_record_size();
  const ptr = core.alloc(capacity * recSize);
  if (reg.capacity > 0) core.bytes().copyWithin(ptr, reg.recordsPtr, reg.recordsPtr + reg.capacity * recSize);
  core.exports.pgt_records(ptr, capacity);
  reg.recordsPtr = ptr;
  reg.capacity = capacity;
}
