// Typed facade over the tagged IOTLB of core.wasm (assembly/iotlb/tlb.ts).
//
// Models use it like hardware uses its TLB: `lookup` first, walk the tables only on a miss,
// then `insert` what the walk found. Nothing here looks at page tables, so a PTE changed in
// memory without an invalidation keeps translating through the cached entry, exactly the
// stale-TLB behaviour a driver author needs to see. The invalidation methods are named after
// the hardware commands and implement their scopes:
//
//   SMMUv3 (smmuv3.md c.1/c.2)     tlbiNhAll/NhAsid/NhVa/NhVaa, tlbiEl2All/El2Asid/El2Va/El2Vaa,
//                                  tlbiS12Vmall, tlbiS2Ipa, tlbiNsnhAll
//   VT-d (vtd.md 4.2/4.3)          iotlbGlobal, iotlbDomain (DSI), iotlbPage (PSI: AM, IH),
//                                  piotlbPasid (non-globals within PASID), piotlbPage
//   POWER (power-tce.md B5, C1)    tceKillAll, tceKillPe, tceKillOne, tceInvalidatePages
//   SoC IOMMUs                     socFlushAll, socFlushAsid, socFlushRange
//
// Hot path: `lookup(kind, vmid, asid, did, pasid, liobn, iova)` takes numbers only and returns
// 1 (hit) or 0 (miss); the hit's fields stay in a static result record read through typed-array
// views (`pa`, `perm`, ...), so nothing is allocated per call. `lookupBatch` translates many
// iovas held in linear memory in one call.
//
//   const tlb = new Iotlb(core, { entries: 1024, ways: 4 });
//   let pa: number, perm: number;
//   if (tlb.lookup(IotlbKind.SMMU_S1, vmid, asid, 0, 0, 0, iova)) {
//     pa = tlb.pa;                                        // cached: even if the PTE changed since
//     perm = tlb.perm;
//   } else {
//     const w = walk(iova);                               // the model's table walk
//     tlb.insert({ kind: IotlbKind.SMMU_S1, vmid, asid }, { iova, pa: w.pa, pageShift: w.shift, perm: w.perm, level: w.level, global: !w.nG });
//     pa = w.pa;
//     perm = w.perm;
//   }
//   tlb.tlbiNhVa(vmid, asid, addr, { leaf: true, tg: 1, num: 3, scale: 0 });   // CMD_TLBI_NH_VA
//
// Semantics chosen where the sources leave room (each is tested in test/core/iotlb-scopes):
// * SMMU range TLBI covers (NUM+1) x 2^SCALE granules from ADDR (smmuv3.md c.2, the regmap, Linux);
//   ADDR bits below the TG granule are ignored. TTL is a hint: ignored by default (as QEMU),
//   honoured with { strictHints: true } (leaf entries of another level/granule stay).
// * An address-scoped command naming an ASID/PASID also removes global entries for the address
//   (TLBI VA semantics); ASID/PASID-scoped commands without an address keep them.
// * TLBI_S2_IPA removes stage-2 entries only; combined nested entries stay (QEMU, gem5).
// * VT-d page-selective IOTLB removes second-stage/pass-through entries in range and every
//   first-stage/nested entry of the DID (the spec rule QEMU quotes); PASID-based page-selective
//   never touches second-stage or pass-through entries; IH=1 / LEAF=1 keep walk-cache entries.
// * Which entry answers when the same page is cached twice (global and not: a TLB conflict) is
//   deterministic but unspecified; overlapping page sizes answer smallest first.
//
// Speed: one JS->wasm call per lookup. V8 inlines that call only while Iotlb.lookup always
// reaches the same export, i.e. while one Core instance is in use; a second Core in the process
// costs about a third of the per-call rate (bench/iotlb.bench.ts).
import type { Core, CoreExports } from './core.ts';
import {
  SMMU_CMD_TLBI_TG_NONE,
  SMMU_CMD_TLBI_TG_GRAN_4K,
  SMMU_CMD_TLBI_TG_GRAN_16K,
  SMMU_CMD_TLBI_TG_GRAN_64K,
  SMMU_CMD_TLBI_NUM_WIDTH,
  SMMU_CMD_TLBI_SCALE_WIDTH,
  SMMU_CMD_TLBI_TTL_WIDTH,
} from '../regs/generated/smmuv3.ts';

/** What produced an entry (model-internal tags; they mirror assembly/iotlb/tlb.ts KIND_*). */
export const IotlbKind = {
  SMMU_S1: 1,
  SMMU_S2: 2,
  /** Combined stage-1 + stage-2 entry (STE.Config = 0b111), tagged by ASID and VMID. */
  SMMU_NESTED: 3,
  /** EL2 / EL2-E2H regime (TLBI_EL2_*): ASID-tagged, no VMID. */
  SMMU_EL2: 4,
  VTD_SS: 5,
  VTD_FS: 6,
  VTD_NESTED: 7,
  VTD_PT: 8,
  /** POWER TCE: `liobn` holds the sPAPR LIOBN or the PowerNV PE number. */
  TCE: 9,
  /** SoC IOMMUs (DART, Rockchip, MediaTek, Tegra): `asid` holds the SID/ASID where there is one. */
  SOC: 10,
} as const;
export type IotlbKindValue = (typeof IotlbKind)[keyof typeof IotlbKind];

/**
 * A suggested permission encoding. The TLB stores `perm` (31 bits) as given and returns it; a
 * nested model can keep the stage-2 permissions in bits 8+ to tell which stage refuses.
 */
export const IotlbPerm = { R: 1, W: 2, X: 4, UNPRIV: 8, S2_SHIFT: 8 } as const;

/** The identifiers an entry is tagged with; absent fields are 0. */
export interface IotlbTag {
  kind: number;
  vmid?: number;
  asid?: number;
  did?: number;
  pasid?: number;
  liobn?: number;
}

export interface IotlbInsert {
  /** Any address inside the page (for a walk-cache entry: inside the span the table translates). */
  iova: number | bigint;
  /** Output address of that same byte (for a walk-cache entry: the table's address). */
  pa: number | bigint;
  /** log2 of the page size (or of the table's span): 12..63. */
  pageShift: number;
  /** 0..0x7fffffff, returned as stored. */
  perm: number;
  attr?: number;
  attr2?: number;
  /** Leaf level (or the level of the cached table); 0..255. */
  level?: number;
  /** log2 of the translation granule, for TTL/TG-strict invalidation; 0 = not recorded. */
  granuleShift?: number;
  /** nG=0 (SMMU) / G=1 (VT-d first stage): found from any ASID/PASID of the same VMID/DID. */
  global?: boolean;
  /** A walk-cache entry (non-leaf table pointer) rather than a translation. */
  table?: boolean;
}

export interface IotlbEntry {
  slot: number;
  kind: number;
  vmid: number;
  asid: number;
  did: number;
  pasid: number;
  liobn: number;
  /** Base of the input page (or span). */
  iova: bigint;
  pageShift: number;
  /** Output address of the page base (or the table address). */
  pa: bigint;
  perm: number;
  attr: number;
  attr2: number;
  level: number;
  granuleShift: number;
  global: boolean;
  table: boolean;
}

export interface IotlbStats {
  hits: number;
  misses: number;
  /** Inserts, including those that updated an existing entry in place. */
  inserts: number;
  updates: number;
  /** Valid entries displaced by an insert (capacity or associativity). */
  evictions: number;
  /** Entries removed by invalidations. */
  invalidated: number;
  /** Entries currently valid. */
  valid: number;
}

export interface IotlbOptions {
  /** Total entries (default 1024): ways x a power of two, at most 2^20. */
  entries?: number;
  /** Associativity, 1..64 (default 4). */
  ways?: number;
  /**
   * Honour the TTL level hint with TG: a by-address invalidation with TTL != 0 (and TG != 0)
   * keeps leaf entries cached at another level or with another granule, as hardware that uses
   * the hint may. Default false: the hint is ignored and every overlapping entry goes (QEMU).
   */
  strictHints?: boolean;
  /** iovas per lookupBatch call (default 4096). */
  batchCapacity?: number;
}

/** SMMUv3 TLBI fields of the by-address commands (smmuv3.md c.2). */
export interface TlbiAddrFields {
  /** LEAF=1: only leaf entries need invalidating (walk-cache entries stay). */
  leaf?: boolean;
  /** Level hint of the leaf entries, 0 = unknown. */
  ttl?: number;
  /** Range granule: 0 = single address; 1 = 4 KiB, 2 = 16 KiB, 3 = 64 KiB. */
  tg?: number;
  num?: number;
  scale?: number;
}

/** A scope for `invalidate`: every field given narrows it. */
export interface IotlbScope {
  kinds: readonly number[];
  vmid?: number;
  /** Non-global entries of this ASID, and global entries unless keepGlobal. */
  asid?: number;
  did?: number;
  /** Non-global entries of this PASID, and global entries unless keepGlobal. */
  pasid?: number;
  liobn?: number;
  /** Only entries whose page overlaps [start, start + size). */
  start?: number | bigint;
  size?: number | bigint;
  leafOnly?: boolean;
  keepGlobal?: boolean;
  /** Strict-hints TLBs only: leaf level and granule shift the entries must have. */
  ttl?: number;
  granuleShift?: number;
}

// Mirrors of assembly/iotlb/tlb.ts (INV_*, INS_*, layouts).
const INV_VMID = 1;
const INV_ASID = 2;
const INV_DID = 4;
const INV_PASID = 8;
const INV_LIOBN = 16;
const INV_RANGE = 32;
const INV_LEAF_ONLY = 64;
const INV_KEEP_GLOBAL = 128;
const INS_GLOBAL = 1;
const INS_TABLE = 2;
const TLB_STRICT_HINTS = 1;
const STATS_OFFSET = 48; // u64 hits, misses, inserts, updates, evictions, invalidated, valid
const STATE_OFFSET = 44; // snapshot: from the micro-TLB generation to the end of the block
const ENTRY_BYTES = 64;
// result record, in u32 / f64 units
const R_PA_F64 = 0;
const R_PA_U64 = 1; // BigUint64 index
const R_PERM = 4;
const R_ATTR = 5;
const R_ATTR2 = 6;
const R_INFO = 7;
const R_SLOT = 8;

const bit = (k: number) => 1 << k;
const SMMU_S1_KINDS = bit(IotlbKind.SMMU_S1) | bit(IotlbKind.SMMU_NESTED);
const SMMU_NH_KINDS = SMMU_S1_KINDS | bit(IotlbKind.SMMU_S2);
const VTD_KINDS = bit(IotlbKind.VTD_SS) | bit(IotlbKind.VTD_FS) | bit(IotlbKind.VTD_NESTED) | bit(IotlbKind.VTD_PT);
const ALL_KINDS = 0xffff;
const PAGE_4K = 4096n;
const MAX_4K_PAGES = 2 ** 52; // 2^64 bytes

function checkField(name: string, v: number, max: number): number {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`Iotlb: ${name} must be an integer in 0..0x${max.toString(16)}, got ${v}`);
  }
  return v;
}

function checkAddr(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`Iotlb: ${name} must be a non-negative integer, got ${v}`);
  return v;
}

function toBig(name: string, v: number | bigint): bigint {
  if (typeof v === 'bigint') {
    if (v < 0n || v >= 1n << 64n) throw new RangeError(`Iotlb: ${name} must be in 0..2^64-1, got ${v}`);
    return v;
  }
  if (!Number.isInteger(v) || v < 0 || v >= 2 ** 64) {
    throw new RangeError(`Iotlb: ${name} must be a non-negative integer below 2^64, got ${v}`);
  }
  return BigInt(v);
}

/**
 * The byte range of an SMMUv3 by-address TLBI (smmuv3.md c.2): TG = 0 is the single address
 * ADDR; otherwise (NUM + 1) x 2^SCALE pages of the TG granule from ADDR, whose bits below the
 * granule are ignored.
 */
export function smmuTlbiRange(addr: number | bigint, tg = 0, num = 0, scale = 0): { start: bigint; size: bigint } {
  const a = toBig('ADDR', addr);
  checkField('NUM', num, (1 << SMMU_CMD_TLBI_NUM_WIDTH) - 1);
  checkField('SCALE', scale, (1 << SMMU_CMD_TLBI_SCALE_WIDTH) - 1);
  const g = smmuGranuleShift(tg);
  if (g === 0) return { start: a & ~(PAGE_4K - 1n), size: PAGE_4K };
  const gran = 1n << BigInt(g);
  return { start: a & ~(gran - 1n), size: (BigInt(num) + 1n) << BigInt(scale + g) };
}

/** log2 of the granule a TLBI TG field names; 0 for TG = 0 (not a range). */
export function smmuGranuleShift(tg: number): number {
  switch (tg) {
    case SMMU_CMD_TLBI_TG_NONE:
      return 0;
    case SMMU_CMD_TLBI_TG_GRAN_4K:
      return 12;
    case SMMU_CMD_TLBI_TG_GRAN_16K:
      return 14;
    case SMMU_CMD_TLBI_TG_GRAN_64K:
      return 16;
    default:
      throw new RangeError(`Iotlb: TLBI TG must be 0..3, got ${tg}`);
  }
}

/** The byte range of a VT-d page-selective invalidation: 2^AM 4 KiB pages, ADDR aligned down to that size. */
export function vtdAmRange(addr: number | bigint, am: number): { start: bigint; size: bigint } {
  checkField('AM', am, 52);
  const size = PAGE_4K << BigInt(am);
  return { start: toBig('ADDR', addr) & ~(size - 1n), size };
}

export class Iotlb {
  readonly core: Core;
  /** Handle of this TLB inside core.wasm (linear-memory address of its block). */
  readonly handle: number;
  readonly capacity: number;
  readonly ways: number;
  readonly sets: number;
  readonly strictHints: boolean;
  readonly batchCapacity: number;

  private readonly x: CoreExports;
  private readonly resultPtr: number;
  private rf64!: Float64Array;
  private ru32!: Uint32Array;
  private ru64!: BigUint64Array;
  private batchPtr = 0;
  private bIn!: Float64Array;
  private bOut!: Float64Array;
  private bIn64!: BigUint64Array;
  private bOut64!: BigUint64Array;
  private bPerm!: Int32Array;

  constructor(core: Core, opts: IotlbOptions = {}) {
    const entries = opts.entries ?? 1024;
    const ways = opts.ways ?? 4;
    if (!Number.isInteger(ways) || ways < 1 || ways > 64) throw new RangeError(`Iotlb: ways must be an integer in 1..64, got ${ways}`);
    const sets = entries / ways;
    if (!Number.isInteger(entries) || entries < 1 || entries > 1 << 20 || !Number.isInteger(sets) || (sets & (sets - 1)) !== 0) {
      throw new RangeError(`Iotlb: entries must be ways (${ways}) x a power of two, at most 2^20; got ${entries}`);
    }
    const batch = opts.batchCapacity ?? 4096;
    if (!Number.isInteger(batch) || batch < 1 || batch > 1 << 24) throw new RangeError(`Iotlb: batchCapacity must be an integer in 1..2^24, got ${batch}`);
    this.core = core;
    this.x = core.exports;
    this.strictHints = opts.strictHints ?? false;
    const h = this.x.iotlb_create(sets, ways, this.strictHints ? TLB_STRICT_HINTS : 0) >>> 0;
    if (h === 0) throw new RangeError(`Iotlb: linear memory cannot grow for ${entries} entries`);
    this.handle = h;
    this.capacity = entries;
    this.ways = ways;
    this.sets = sets;
    this.batchCapacity = batch;
    this.resultPtr = this.x.iotlb_result_ptr(h) >>> 0;
    this.refresh();
  }

  // ---------------------------------------------------------------- views

  private refresh(): void {
    const buf = this.x.memory.buffer;
    this.rf64 = new Float64Array(buf, this.resultPtr, 8);
    this.ru32 = new Uint32Array(buf, this.resultPtr, 16);
    this.ru64 = new BigUint64Array(buf, this.resultPtr, 8);
    if (this.batchPtr !== 0) {
      const n = this.batchCapacity;
      this.bIn = new Float64Array(buf, this.batchPtr, n);
      this.bOut = new Float64Array(buf, this.batchPtr + 8 * n, n);
      this.bIn64 = new BigUint64Array(buf, this.batchPtr, n);
      this.bOut64 = new BigUint64Array(buf, this.batchPtr + 8 * n, n);
      this.bPerm = new Int32Array(buf, this.batchPtr + 16 * n, n);
    }
  }
  // Result-record reads: a view over linear memory detaches when the memory grows, and reads of
  // a detached view give undefined; the views are then re-created (out of line, so the fast path
  // stays a plain typed-array load).
  private u32(i: number): number {
    const v = this.ru32[i];
    return v !== undefined ? v : this.u32Slow(i);
  }
  private u32Slow(i: number): number {
    this.refresh();
    return this.ru32[i]!;
  }
  private f64Slow(i: number): number {
    this.refresh();
    return this.rf64[i]!;
  }
  private u64Slow(i: number): bigint {
    this.refresh();
    return this.ru64[i]!;
  }

  // ---------------------------------------------------------------- lookup

  /**
   * Leaf lookup of `iova` (a number: exact below 2^53) for the tag. Returns 1 on a hit, with the
   * translation readable through `pa`, `perm`, `attr`, ... until the next hit; 0 on a miss.
   */
  lookup(kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number): number {
    return this.x.iotlb_lookup(this.handle, kind, vmid, asid, did, pasid, liobn, iova);
  }

  /** `lookup` with an exact 64-bit iova. */
  lookupBig(kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: bigint): number {
    return this.x.iotlb_lookup64(this.handle, kind, vmid, asid, did, pasid, liobn, BigInt.asUintN(64, iova));
  }

  /**
   * Walk-cache lookup: the deepest cached table whose span covers `iova`. On a hit `pa` is the
   * table address, `level` its level and `pageShift` its span.
   */
  lookupTable(kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, iova: number): number {
    return this.x.iotlb_lookup_table(this.handle, kind, vmid, asid, did, pasid, liobn, iova);
  }

  /** Output address of the last hit (exact below 2^53). */
  get pa(): number {
    const v = this.rf64[R_PA_F64];
    return v !== undefined ? v : this.f64Slow(R_PA_F64);
  }
  /** Output address of the last hit, exact. */
  get paBig(): bigint {
    const v = this.ru64[R_PA_U64];
    return v !== undefined ? v : this.u64Slow(R_PA_U64);
  }
  get perm(): number {
    return this.u32(R_PERM);
  }
  get attr(): number {
    return this.u32(R_ATTR);
  }
  get attr2(): number {
    return this.u32(R_ATTR2);
  }
  get level(): number {
    return this.u32(R_INFO) & 0xff;
  }
  get granuleShift(): number {
    return (this.u32(R_INFO) >>> 8) & 63;
  }
  get pageShift(): number {
    return (this.u32(R_INFO) >>> 16) & 63;
  }
  get global(): boolean {
    return (this.u32(R_INFO) & (1 << 24)) !== 0;
  }
  get table(): boolean {
    return (this.u32(R_INFO) & (1 << 25)) !== 0;
  }
  get kind(): number {
    return this.u32(R_INFO) >>> 28;
  }
  /** Entry index of the last hit (for tests and debugging). */
  get slot(): number {
    return this.u32(R_SLOT);
  }
  /** The last hit as a plain object (allocates: for tests and tools, not hot paths). */
  result(): { pa: bigint; perm: number; attr: number; attr2: number; level: number; granuleShift: number; pageShift: number; global: boolean; table: boolean; kind: number; slot: number } {
    return {
      pa: this.paBig,
      perm: this.perm,
      attr: this.attr,
      attr2: this.attr2,
      level: this.level,
      granuleShift: this.granuleShift,
      pageShift: this.pageShift,
      global: this.global,
      table: this.table,
      kind: this.kind,
      slot: this.slot,
    };
  }

  // ---------------------------------------------------------------- batched lookup

  private ensureBatch(): void {
    if (this.batchPtr === 0) {
      this.batchPtr = this.core.alloc(this.batchCapacity * 20);
      this.refresh();
    } else if (this.bPerm.length === 0) {
      this.refresh();
    }
  }
  /** Input iovas for `lookupBatch` (f64), in linear memory. */
  get batchIova(): Float64Array {
    this.ensureBatch();
    return this.bIn;
  }
  /** Output addresses of `lookupBatch` (-1 for a miss). */
  get batchPa(): Float64Array {
    this.ensureBatch();
    return this.bOut;
  }
  /** The same input buffer as exact u64 iovas, for `lookupBatch(..., wide = true)`. */
  get batchIova64(): BigUint64Array {
    this.ensureBatch();
    return this.bIn64;
  }
  /** Output addresses of a wide `lookupBatch` (2^64 - 1 for a miss). */
  get batchPa64(): BigUint64Array {
    this.ensureBatch();
    return this.bOut64;
  }
  /** Permissions of `lookupBatch` hits (-1 for a miss). */
  get batchPerm(): Int32Array {
    this.ensureBatch();
    return this.bPerm;
  }

  /**
   * Translates `batchIova[0..n)` (or `batchIova64` when `wide`) for one tag into `batchPa` /
   * `batchPa64` and `batchPerm`, exactly as n calls of `lookup` would (statistics included; the
   * result record is left alone). Returns the number of hits.
   */
  lookupBatch(kind: number, vmid: number, asid: number, did: number, pasid: number, liobn: number, n: number, wide = false): number {
    if (!(n >= 0 && n <= this.batchCapacity)) throw new RangeError(`Iotlb.lookupBatch: n must be in 0..${this.batchCapacity}, got ${n}`);
    if (this.batchPtr === 0) this.ensureBatch();
    const p = this.batchPtr;
    const c = this.batchCapacity;
    return this.x.iotlb_lookup_batch(this.handle, kind, vmid, asid, did, pasid, liobn, p, p + 8 * c, p + 16 * c, n, wide ? 1 : 0);
  }

  // ---------------------------------------------------------------- insert

  /**
   * Caches a translation (or, with `table`, a walk-cache table pointer) for the tag. An entry
   * with the same tag, page, size, type and globalness is updated in place; otherwise the
   * lowest invalid way of the set is used, else the set's round-robin victim is evicted.
   * Returns the entry's slot.
   */
  insert(tag: IotlbTag, e: IotlbInsert): number {
    const kind = checkField('kind', tag.kind, 15);
    const vmid = checkField('vmid', tag.vmid ?? 0, 0xffff);
    const asid = checkField('asid', tag.asid ?? 0, 0xffff);
    const did = checkField('did', tag.did ?? 0, 0xffff);
    const pasid = checkField('pasid', tag.pasid ?? 0, 0xfffff);
    const liobn = checkField('liobn', tag.liobn ?? 0, 0xffffffff);
    const shift = e.pageShift;
    if (!Number.isInteger(shift) || shift < 12 || shift > 63) throw new RangeError(`Iotlb.insert: pageShift must be an integer in 12..63, got ${shift}`);
    checkField('perm', e.perm, 0x7fffffff);
    const attr = checkField('attr', e.attr ?? 0, 0xffffffff);
    const attr2 = checkField('attr2', e.attr2 ?? 0, 0xffffffff);
    const level = checkField('level', e.level ?? 0, 0xff);
    const granule = checkField('granuleShift', e.granuleShift ?? 0, 63);
    let iova: number;
    let pa: number;
    if (typeof e.iova === 'number' && typeof e.pa === 'number' && e.iova < 2 ** 53 && e.pa < 2 ** 53) {
      iova = checkAddr('iova', e.iova);
      pa = checkAddr('pa', e.pa);
    } else {
      // Exact path: align the iova to its page (exact as an f64) and move pa by the same amount.
      const bi = toBig('iova', e.iova);
      const bp = toBig('pa', e.pa);
      const off = bi & ((1n << BigInt(shift)) - 1n);
      const out = e.table ? bp : bp - off;
      if (out < 0n) throw new RangeError(`Iotlb.insert: pa 0x${bp.toString(16)} is below the page base implied by iova 0x${bi.toString(16)}`);
      iova = Number(bi - off);
      pa = Number(out);
    }
    const flags = (e.global ? INS_GLOBAL : 0) | (e.table ? INS_TABLE : 0);
    return this.x.iotlb_insert(this.handle, kind, vmid, asid, did, pasid, liobn, iova, pa, shift, e.perm, attr, attr2, level, granule, flags);
  }

  /** `insert` with numbers only and no checks, for models on their miss path (flags: 1 global, 2 table). */
  insertRaw(
    kind: number,
    vmid: number,
    asid: number,
    did: number,
    pasid: number,
    liobn: number,
    iova: number,
    pa: number,
    pageShift: number,
    perm: number,
    attr: number,
    attr2: number,
    level: number,
    granuleShift: number,
    flags: number,
  ): number {
    return this.x.iotlb_insert(this.handle, kind, vmid, asid, did, pasid, liobn, iova, pa, pageShift, perm, attr, attr2, level, granuleShift, flags);
  }

  // ---------------------------------------------------------------- invalidation: generic

  private inv(
    kinds: number,
    flags: number,
    f: { vmid?: number; asid?: number; did?: number; pasid?: number; liobn?: number },
    start?: bigint,
    size?: bigint,
    ttl = 0,
    tgShift = 0,
  ): number {
    let s4 = 0;
    let e4 = 0;
    if (start !== undefined && size !== undefined) {
      if (size <= 0n) return 0;
      flags |= INV_RANGE;
      s4 = Number(start >> 12n);
      const end = (start + size + PAGE_4K - 1n) >> 12n;
      e4 = end > BigInt(MAX_4K_PAGES) ? MAX_4K_PAGES : Number(end);
    }
    return this.x.iotlb_invalidate(
      this.handle,
      kinds,
      flags,
      f.vmid ?? 0,
      f.asid ?? 0,
      f.did ?? 0,
      f.pasid ?? 0,
      f.liobn ?? 0,
      s4,
      e4,
      ttl,
      tgShift,
    );
  }

  /** Removes every entry in `scope`; returns how many were removed. */
  invalidate(scope: IotlbScope): number {
    let kinds = 0;
    for (const k of scope.kinds) kinds |= bit(checkField('kind', k, 15));
    let flags = 0;
    if (scope.vmid !== undefined) flags |= INV_VMID;
    if (scope.asid !== undefined) flags |= INV_ASID;
    if (scope.did !== undefined) flags |= INV_DID;
    if (scope.pasid !== undefined) flags |= INV_PASID;
    if (scope.liobn !== undefined) flags |= INV_LIOBN;
    if (scope.leafOnly) flags |= INV_LEAF_ONLY;
    if (scope.keepGlobal) flags |= INV_KEEP_GLOBAL;
    const f = {
      vmid: checkField('vmid', scope.vmid ?? 0, 0xffff),
      asid: checkField('asid', scope.asid ?? 0, 0xffff),
      did: checkField('did', scope.did ?? 0, 0xffff),
      pasid: checkField('pasid', scope.pasid ?? 0, 0xfffff),
      liobn: checkField('liobn', scope.liobn ?? 0, 0xffffffff),
    };
    if ((scope.start === undefined) !== (scope.size === undefined)) throw new RangeError('Iotlb.invalidate: start and size go together');
    const start = scope.start === undefined ? undefined : toBig('start', scope.start);
    const size = scope.size === undefined ? undefined : toBig('size', scope.size);
    return this.inv(kinds, flags, f, start, size, checkField('ttl', scope.ttl ?? 0, 0xff), checkField('granuleShift', scope.granuleShift ?? 0, 63));
  }

  /** Removes everything (all kinds); returns how many entries were removed. */
  invalidateAll(): number {
    return this.inv(ALL_KINDS, 0, {});
  }

  // ---------------------------------------------------------------- SMMUv3 (smmuv3.md c.1, c.2)

  private tlbiAddr(kinds: number, flags: number, f: { vmid?: number; asid?: number }, addr: number | bigint, o: TlbiAddrFields): number {
    const tg = o.tg ?? 0;
    const { start, size } = smmuTlbiRange(addr, tg, o.num ?? 0, o.scale ?? 0);
    const ttl = checkField('TTL', o.ttl ?? 0, (1 << SMMU_CMD_TLBI_TTL_WIDTH) - 1);
    return this.inv(kinds, flags | (o.leaf ? INV_LEAF_ONLY : 0), f, start, size, tg !== 0 ? ttl : 0, smmuGranuleShift(tg));
  }

  /** CMD_TLBI_NH_ALL: every stage-1 (and nested) entry of VMID, global or not. */
  tlbiNhAll(vmid: number): number {
    return this.inv(SMMU_S1_KINDS, INV_VMID, { vmid: checkField('VMID', vmid, 0xffff) });
  }
  /** CMD_TLBI_NH_ASID: stage-1 (and nested) entries of (ASID, VMID); global entries stay. */
  tlbiNhAsid(vmid: number, asid: number): number {
    return this.inv(SMMU_S1_KINDS, INV_VMID | INV_ASID | INV_KEEP_GLOBAL, { vmid: checkField('VMID', vmid, 0xffff), asid: checkField('ASID', asid, 0xffff) });
  }
  /** CMD_TLBI_NH_VA: stage-1 entries of VMID overlapping the address (range), of ASID or global. */
  tlbiNhVa(vmid: number, asid: number, addr: number | bigint, o: TlbiAddrFields = {}): number {
    return this.tlbiAddr(SMMU_S1_KINDS, INV_VMID | INV_ASID, { vmid: checkField('VMID', vmid, 0xffff), asid: checkField('ASID', asid, 0xffff) }, addr, o);
  }
  /** CMD_TLBI_NH_VAA: as NH_VA for every ASID of VMID. */
  tlbiNhVaa(vmid: number, addr: number | bigint, o: TlbiAddrFields = {}): number {
    return this.tlbiAddr(SMMU_S1_KINDS, INV_VMID, { vmid: checkField('VMID', vmid, 0xffff) }, addr, o);
  }
  /** CMD_TLBI_EL2_ALL: every EL2 entry. */
  tlbiEl2All(): number {
    return this.inv(bit(IotlbKind.SMMU_EL2), 0, {});
  }
  /** CMD_TLBI_EL2_ASID: EL2 entries of ASID; global entries stay. */
  tlbiEl2Asid(asid: number): number {
    return this.inv(bit(IotlbKind.SMMU_EL2), INV_ASID | INV_KEEP_GLOBAL, { asid: checkField('ASID', asid, 0xffff) });
  }
  /** CMD_TLBI_EL2_VA: EL2 entries overlapping the address (range), of ASID or global. */
  tlbiEl2Va(asid: number, addr: number | bigint, o: TlbiAddrFields = {}): number {
    return this.tlbiAddr(bit(IotlbKind.SMMU_EL2), INV_ASID, { asid: checkField('ASID', asid, 0xffff) }, addr, o);
  }
  /** CMD_TLBI_EL2_VAA: EL2 entries overlapping the address (range), every ASID. */
  tlbiEl2Vaa(addr: number | bigint, o: TlbiAddrFields = {}): number {
    return this.tlbiAddr(bit(IotlbKind.SMMU_EL2), 0, {}, addr, o);
  }
  /** CMD_TLBI_S12_VMALL: every stage-1, stage-2 and nested entry of VMID. */
  tlbiS12Vmall(vmid: number): number {
    return this.inv(SMMU_NH_KINDS, INV_VMID, { vmid: checkField('VMID', vmid, 0xffff) });
  }
  /**
   * CMD_TLBI_S2_IPA: stage-2 entries of VMID overlapping the IPA (range). Combined nested entries
   * are not removed (they are tagged by VA; QEMU and gem5 do the same): software follows with
   * NH_ALL or S12_VMALL.
   */
  tlbiS2Ipa(vmid: number, ipa: number | bigint, o: TlbiAddrFields = {}): number {
    return this.tlbiAddr(bit(IotlbKind.SMMU_S2), INV_VMID, { vmid: checkField('VMID', vmid, 0xffff) }, ipa, o);
  }
  /** CMD_TLBI_NSNH_ALL: every non-secure, non-hyp entry (stage 1, stage 2, nested; all VMIDs). */
  tlbiNsnhAll(): number {
    return this.inv(SMMU_NH_KINDS, 0, {});
  }

  // ---------------------------------------------------------------- VT-d (vtd.md 4.2, 4.3)

  /** IOTLB invalidate, global: every VT-d entry. */
  iotlbGlobal(): number {
    return this.inv(VTD_KINDS, 0, {});
  }
  /** IOTLB invalidate, domain-selective: every entry of DID (all PASIDs, all translation types). */
  iotlbDomain(did: number): number {
    return this.inv(VTD_KINDS, INV_DID, { did: checkField('DID', did, 0xffff) });
  }
  /**
   * IOTLB invalidate, page-selective within domain: second-stage and pass-through entries of DID
   * overlapping the 2^AM pages at ADDR (aligned down); first-stage and nested entries of DID are
   * all removed (the spec rule QEMU implements). IH=1 keeps walk-cache entries.
   */
  iotlbPage(did: number, addr: number | bigint, am: number, ih = false): number {
    const d = checkField('DID', did, 0xffff);
    const { start, size } = vtdAmRange(addr, am);
    const leaf = ih ? INV_LEAF_ONLY : 0;
    return (
      this.inv(bit(IotlbKind.VTD_SS) | bit(IotlbKind.VTD_PT), INV_DID | leaf, { did: d }, start, size) +
      this.inv(bit(IotlbKind.VTD_FS) | bit(IotlbKind.VTD_NESTED), INV_DID | leaf, { did: d })
    );
  }
  /**
   * PASID-based IOTLB invalidate, non-globals within PASID: first-stage, nested and pass-through
   * entries of (DID, PASID); global entries stay.
   */
  piotlbPasid(did: number, pasid: number): number {
    return this.inv(
      bit(IotlbKind.VTD_FS) | bit(IotlbKind.VTD_NESTED) | bit(IotlbKind.VTD_PT),
      INV_DID | INV_PASID | INV_KEEP_GLOBAL,
      { did: checkField('DID', did, 0xffff), pasid: checkField('PASID', pasid, 0xfffff) },
    );
  }
  /**
   * PASID-based IOTLB invalidate, page-selective within PASID: first-stage and nested entries of
   * DID overlapping the 2^AM pages at ADDR, of PASID or global (second-stage and pass-through
   * entries are not touched). IH=1 keeps walk-cache entries.
   */
  piotlbPage(did: number, pasid: number, addr: number | bigint, am: number, ih = false): number {
    const { start, size } = vtdAmRange(addr, am);
    return this.inv(
      bit(IotlbKind.VTD_FS) | bit(IotlbKind.VTD_NESTED),
      INV_DID | INV_PASID | (ih ? INV_LEAF_ONLY : 0),
      { did: checkField('DID', did, 0xffff), pasid: checkField('PASID', pasid, 0xfffff) },
      start,
      size,
    );
  }

  // ---------------------------------------------------------------- POWER TCE (power-tce.md B5, C1)

  /** TCE_KILL with KILL_ALL: every cached TCE. */
  tceKillAll(): number {
    return this.inv(bit(IotlbKind.TCE), 0, {});
  }
  /** TCE_KILL with KILL_PE: every cached TCE of the PE (both windows). */
  tceKillPe(pe: number): number {
    return this.inv(bit(IotlbKind.TCE), INV_LIOBN, { liobn: checkField('PE', pe, 0xffffffff) });
  }
  /**
   * TCE_KILL with KILL_ONE: the TCE of the PE covering the DMA address (bit 59 included), for an
   * IOMMU page of 2^pageShift bytes (PHB4 PSEL page size; PHB3 kills one page per store).
   */
  tceKillOne(pe: number, addr: number | bigint, pageShift = 12): number {
    checkField('pageShift', pageShift, 63);
    if (pageShift < 12) throw new RangeError(`Iotlb.tceKillOne: pageShift must be >= 12, got ${pageShift}`);
    const size = 1n << BigInt(pageShift);
    return this.inv(bit(IotlbKind.TCE), INV_LIOBN, { liobn: checkField('PE', pe, 0xffffffff) }, toBig('addr', addr) & ~(size - 1n), size);
  }
  /** Cached TCEs of LIOBN for `npages` IOMMU pages from `ioba` (what H_PUT_TCE / H_STUFF_TCE change). */
  tceInvalidatePages(liobn: number, ioba: number | bigint, npages: number, pageShift = 12): number {
    checkField('npages', npages, 2 ** 52);
    if (!Number.isInteger(pageShift) || pageShift < 12 || pageShift > 63) throw new RangeError(`Iotlb.tceInvalidatePages: pageShift must be in 12..63, got ${pageShift}`);
    const page = 1n << BigInt(pageShift);
    const start = toBig('ioba', ioba) & ~(page - 1n);
    return this.inv(bit(IotlbKind.TCE), INV_LIOBN, { liobn: checkField('LIOBN', liobn, 0xffffffff) }, start, BigInt(npages) * page);
  }

  // ---------------------------------------------------------------- SoC IOMMUs

  /** Whole-TLB flush (DART flush all, Rockchip ZAP_CACHE, MediaTek ALL_INVLD, Tegra TLB_FLUSH all). */
  socFlushAll(): number {
    return this.inv(bit(IotlbKind.SOC), 0, {});
  }
  /** Flush of one stream/ASID (DART per-SID flush, Tegra ASID match with VA match 0). */
  socFlushAsid(asid: number): number {
    return this.inv(bit(IotlbKind.SOC), INV_ASID, { asid: checkField('asid', asid, 0xffff) });
  }
  /**
   * Flush of the entries overlapping [addr, addr + size) (Rockchip ZAP_ONE_LINE: 4 KiB; MediaTek
   * range; Tegra section/group with `asid`).
   */
  socFlushRange(addr: number | bigint, size: number | bigint, asid?: number): number {
    const flags = asid === undefined ? 0 : INV_ASID;
    return this.inv(bit(IotlbKind.SOC), flags, { asid: checkField('asid', asid ?? 0, 0xffff) }, toBig('addr', addr), toBig('size', size));
  }

  // ---------------------------------------------------------------- statistics, dump, snapshot

  stats(): IotlbStats {
    const v = new Uint32Array(this.x.memory.buffer, this.handle + STATS_OFFSET, 14);
    const q = (i: number) => v[2 * i]! + v[2 * i + 1]! * 2 ** 32;
    return { hits: q(0), misses: q(1), inserts: q(2), updates: q(3), evictions: q(4), invalidated: q(5), valid: q(6) };
  }
  /** Zeroes hits, misses, inserts, updates, evictions and invalidated (entries stay). */
  resetStats(): void {
    this.x.iotlb_reset_stats(this.handle);
  }

  /** Every valid entry, in slot order (allocates: for tests, dumps and tools). */
  entries(): IotlbEntry[] {
    const base = this.x.iotlb_entries_ptr(this.handle) >>> 0;
    const slots = this.x.iotlb_slots(this.handle) >>> 0;
    const dv = new DataView(this.x.memory.buffer, base, slots * ENTRY_BYTES);
    const out: IotlbEntry[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const o = slot * ENTRY_BYTES;
      const meta = dv.getUint32(o + 24, true);
      if ((meta & 1) === 0) continue;
      const shift = (meta >>> 8) & 63;
      const lv = dv.getUint32(o + 48, true);
      out.push({
        slot,
        kind: (meta >>> 4) & 15,
        liobn: dv.getUint32(o + 8, true),
        vmid: dv.getUint16(o + 12, true),
        did: dv.getUint16(o + 14, true),
        asid: dv.getUint16(o + 16, true),
        pasid: Number((dv.getBigUint64(o + 16, true) >> 16n) & 0xfffffn),
        iova: BigInt.asUintN(64, dv.getBigUint64(o, true) << BigInt(shift)),
        pageShift: shift,
        pa: dv.getBigUint64(o + 32, true),
        perm: dv.getUint32(o + 28, true),
        attr: dv.getUint32(o + 40, true),
        attr2: dv.getUint32(o + 44, true),
        level: lv & 0xff,
        granuleShift: (lv >>> 8) & 63,
        global: (meta & (1 << 16)) !== 0,
        table: (meta & 2) !== 0,
      });
    }
    return out;
  }

  /**
   * The whole cache state (entries, replacement counters, statistics) as a plain object, so a
   * restored machine sees the same stale translations and the same future evictions.
   */
  snapshot(): { version: 1; sets: number; ways: number; strictHints: boolean; state: string } {
    const bytes = this.x.iotlb_bytes(this.handle) >>> 0;
    const raw = new Uint8Array(this.x.memory.buffer, this.handle + STATE_OFFSET, bytes - STATE_OFFSET);
    return { version: 1, sets: this.sets, ways: this.ways, strictHints: this.strictHints, state: Buffer.from(raw).toString('base64') };
  }
  restore(s: { version: number; sets: number; ways: number; strictHints: boolean; state: string }): void {
    if (s.version !== 1) throw new RangeError(`Iotlb.restore: unknown snapshot version ${s.version}`);
    if (s.sets !== this.sets || s.ways !== this.ways || s.strictHints !== this.strictHints) {
      throw new RangeError(
        `Iotlb.restore: snapshot geometry ${s.sets}x${s.ways}${s.strictHints ? ' strict' : ''} differs from this TLB's ${this.sets}x${this.ways}${this.strictHints ? ' strict' : ''}`,
      );
    }
    const bytes = this.x.iotlb_bytes(this.handle) >>> 0;
    const raw = Buffer.from(s.state, 'base64');
    if (raw.length !== bytes - STATE_OFFSET) throw new RangeError(`Iotlb.restore: state is ${raw.length} bytes, expected ${bytes - STATE_OFFSET}`);
    new Uint8Array(this.x.memory.buffer, this.handle + STATE_OFFSET, raw.length).set(raw);
  }
}
