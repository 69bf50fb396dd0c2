// The ARM LPAE page-table writer (VMSAv8-64 stage 1 / stage 2, 32-bit LPAE and Mali LPAE),
// with the semantics and return values of Linux's drivers/iommu/io-pgtable-arm.c:
// map_pages / unmap_pages / iova_to_phys / pgtable_walk and freeing of the whole table.
//
// Tables live in guest memory (read and written through mem.ts). Table pages come from the
// embedder through imported callbacks (pgt_alloc / pgt_free), TLB maintenance requests go out
// through pgt_tlb when the table asked for them. No allocation happens here at run time:
// per-table state sits in a static array of fixed-size records, one per handle.
//
// Behaviour follows Linux exactly, including what Linux does on odd input: no alignment
// checks on iova/paddr, pgcount truncated to int by min_t(int, ...), -ENOENT returned as
// (size_t)-2 from unmap on a hole, partial unmap of a block refused (returns 0, WARN_ONCE),
// a block installed over a table frees that table (flush_walk), leaf over leaf is -EEXIST.
import { gpaRead64, gpaWrite64, memAbort } from '../mem';
import { ramLin } from '../ram';

// ---- formats, prot flags, quirks, errno (Linux values) ----
export const FMT_ARM_32_LPAE_S1: i32 = 0;
export const FMT_ARM_32_LPAE_S2: i32 = 1;
export const FMT_ARM_64_LPAE_S1: i32 = 2;
export const FMT_ARM_64_LPAE_S2: i32 = 3;
export const FMT_ARM_MALI_LPAE: i32 = 5;

const IOMMU_READ: u32 = 1;
const IOMMU_WRITE: u32 = 2;
const IOMMU_CACHE: u32 = 4;
const IOMMU_NOEXEC: u32 = 8;
const IOMMU_MMIO: u32 = 16;
const IOMMU_PRIV: u32 = 32;

const QUIRK_ARM_NS: u32 = 1 << 0;
const QUIRK_ARM_TTBR1: u32 = 1 << 5;
const QUIRK_ARM_HD: u32 = 1 << 7;
const QUIRK_ARM_S2FWB: u32 = 1 << 8;
const QUIRK_NO_WARN: u32 = 1 << 9;

export const ENOENT: i32 = 2;
export const ENOMEM: i32 = 12;
/** Not a Linux return of io-pgtable: a table access hit memory nobody backs (the facade throws). */
export const EFAULT: i32 = 14;
export const EEXIST: i32 = 17;
export const EINVAL: i32 = 22;
export const ERANGE: i32 = 34;

// ---- descriptor bits ----
const PTE_TYPE_MASK: u64 = 3;
const PTE_TYPE_BLOCK: u64 = 1;
const PTE_TYPE_TABLE: u64 = 3;
const PTE_TYPE_PAGE: u64 = 3;
const PTE_ADDR_MASK: u64 = 0x0000_ffff_ffff_f000; // bits 47:12
const PTE_NSTABLE: u64 = <u64>1 << 63;
const PTE_XN: u64 = <u64>3 << 53;
const PTE_DBM: u64 = <u64>1 << 51;
const PTE_AF: u64 = <u64>1 << 10;
const PTE_SH_OS: u64 = <u64>2 << 8;
const PTE_SH_IS: u64 = <u64>3 << 8;
const PTE_NS: u64 = <u64>1 << 5;
const PTE_AP_UNPRIV: u64 = <u64>1 << 6;
const PTE_AP_RDONLY: u64 = <u64>1 << 7;
const PTE_nG: u64 = <u64>1 << 11;
const PTE_HAP_READ: u64 = <u64>1 << 6;
const PTE_HAP_WRITE: u64 = <u64>2 << 6;
const PTE_MEMATTR_FWB_WB: u64 = <u64>0x6 << 2;
const PTE_MEMATTR_OIWB: u64 = <u64>0xf << 2;
const PTE_MEMATTR_NC: u64 = <u64>0x5 << 2;
const PTE_MEMATTR_DEV: u64 = <u64>0x1 << 2;
const ATTRINDX_SHIFT: u64 = 2;
const MAIR_IDX_CACHE: u64 = 1;
const MAIR_IDX_DEV: u64 = 2;

const MAX_LEVELS: i32 = 4;

// ---- TLB callback kinds (pgt_tlb) ----
export const TLB_FLUSH_WALK: i32 = 1;
export const TLB_ADD_PAGE: i32 = 2;

// ---- per-table records ----
// REC_SIZE bytes per handle in a block of linear memory the embedder reserves (with ram_alloc,
// so it never meets the runtime's heap) and hands over with setRecords; it may move it to a
// larger block (copying the bytes) as handles are added.
export const REC_SIZE: usize = 64;
const R_PGD: usize = 0; // u64
const R_BITMAP: usize = 8; // u64
const R_FMT: usize = 16; // i32
const R_QUIRKS: usize = 20; // u32
const R_IAS: usize = 24; // i32
const R_OAS: usize = 28; // i32
const R_BPL: usize = 32; // i32
const R_START: usize = 36; // i32
const R_PGDBITS: usize = 40; // i32
const R_FLAGS: usize = 44; // u32
const R_LIVE: usize = 48; // i32
const R_WARN: usize = 52; // i32
const R_WARNONCE: usize = 56; // i32
const R_INUSE: usize = 60; // i32

/** Table flag: report TLB maintenance through pgt_tlb. */
export const FLAG_TLB: u32 = 1;

let records: usize = 0;
let capacity: i32 = 0;

/** Uses the `cap` records at linear offset `ptr` (zeroed, or copied from the previous block). */
export function setRecords(ptr: usize, cap: i32): void {
  H = -1;
  REC = 0;
  records = ptr;
  capacity = cap;
}

/** Allocates a table of `size` bytes for table `h`: its guest-physical address, or a negative value when out of memory. */
@external("env", "pgt_alloc")
declare function pgt_alloc(h: i32, size: u32): f64;
/** Returns a table of `size` bytes at `gpa` (as allocated for table `h`) to the embedder. */
@external("env", "pgt_free")
declare function pgt_free(h: i32, gpa: f64, size: u32): void;
/** A TLB maintenance callback: kind TLB_FLUSH_WALK (iova, size, granule) or TLB_ADD_PAGE (iova, granule, granule). */
@external("env", "pgt_tlb")
declare function pgt_tlb(h: i32, kind: i32, iovaLo: u32, iovaHi: u32, size: f64, granule: f64): void;

// ---- the current table (loaded from its record at every entry point) ----
let H: i32 = -1;
let REC: usize = 0;
let PGD: u64 = 0;
let BITMAP: u64 = 0;
let FMT: i32 = 0;
let QUIRKS: u32 = 0;
let IAS: i32 = 0;
let OAS: i32 = 0;
let BPL: i32 = 0;
let START: i32 = 0;
let PGDBITS: i32 = 0;
let FLAGS: u32 = 0;
let IS_S1: bool = false;
let IS_MALI: bool = false;
let PPT: i32 = 0; // PTEs per table
let GRANULE: u64 = 0;
/** Sticky: a table access aborted during the current operation. */
let faulted: bool = false;

// Outputs of the last walk (pgt_walk / iova_to_phys).
const walkPtes: usize = memory.data(4 * 8, 8);
let walkLvl: i32 = 0;
let walkPte: u64 = 0;

@inline function rec(h: i32): usize {
  return records + <usize>h * REC_SIZE;
}

/** Loads table `h` into the current-table globals; false when `h` is not a live table. */
export function select(h: i32): bool {
  if (h == H && REC != 0) {
    // Same table as the last call: the globals are current (every change goes through them).
    if (load<i32>(REC + R_INUSE) == 0) return false;
    faulted = false;
    return true;
  }
  if (<u32>h >= <u32>capacity) return false;
  const r = rec(h);
  if (load<i32>(r + R_INUSE) == 0) return false;
  H = h;
  REC = r;
  PGD = load<u64>(r + R_PGD);
  BITMAP = load<u64>(r + R_BITMAP);
  FMT = load<i32>(r + R_FMT);
  QUIRKS = load<u32>(r + R_QUIRKS);
  IAS = load<i32>(r + R_IAS);
  OAS = load<i32>(r + R_OAS);
  BPL = load<i32>(r + R_BPL);
  START = load<i32>(r + R_START);
  PGDBITS = load<i32>(r + R_PGDBITS);
  FLAGS = load<u32>(r + R_FLAGS);
  IS_S1 = FMT == FMT_ARM_64_LPAE_S1 || FMT == FMT_ARM_32_LPAE_S1;
  IS_MALI = FMT == FMT_ARM_MALI_LPAE;
  PPT = 1 << BPL;
  GRANULE = <u64>8 << <u64>BPL;
  faulted = false;
  return true;
}

/** After a call out to the embedder, which may have used another table: make `h` current again. */
function reselect(h: i32): void {
  if (H == h) return;
  const f = faulted;
  H = -1;
  select(h);
  faulted = f;
}

@inline function warn(): void {
  store<i32>(REC + R_WARN, load<i32>(REC + R_WARN) + 1);
}
/** WARN_ON(!(quirks & NO_WARN)). */
@inline function warnUnlessQuiet(): void {
  if ((QUIRKS & QUIRK_NO_WARN) == 0) warn();
}
@inline function warnOnce(): void {
  store<i32>(REC + R_WARNONCE, load<i32>(REC + R_WARNONCE) + 1);
}

// ---- geometry ----
@inline function lvlShift(l: i32): u64 {
  return <u64>((MAX_LEVELS - l) * BPL + 3);
}
@inline function blockSize(l: i32): u64 {
  return <u64>1 << lvlShift(l);
}
@inline function lvlIdx(a: u64, l: i32): i32 {
  const bits = l == START ? PGDBITS : BPL;
  return <i32>((a >> lvlShift(l)) & ((<u64>1 << <u64>bits) - 1));
}
@inline function maxEntries(i: i32): i32 {
  return PPT - (i & (PPT - 1));
}
@inline function pgdSize(): u64 {
  return <u64>8 << <u64>PGDBITS;
}

// ---- descriptors ----
@inline function pteType(pte: u64): u64 {
  return pte & PTE_TYPE_MASK;
}
@inline function isLeaf(pte: u64, lvl: i32): bool {
  if (lvl == MAX_LEVELS - 1 && !IS_MALI) return pteType(pte) == PTE_TYPE_PAGE;
  return pteType(pte) == PTE_TYPE_BLOCK;
}
@inline function isTable(pte: u64, lvl: i32): bool {
  if (lvl == MAX_LEVELS - 1) return false;
  return pteType(pte) == PTE_TYPE_TABLE;
}
@inline function paddrToPte(pa: u64): u64 {
  return (pa | (pa >> 36)) & PTE_ADDR_MASK;
}
@inline function pteToPaddr(pte: u64): u64 {
  const pa = pte & PTE_ADDR_MASK;
  if (GRANULE < 0x10000) return pa;
  return (pa | (pa << 36)) & (PTE_ADDR_MASK << 4);
}

/** Linux's arm_lpae_prot_to_pte for the current table. */
function protToPte(prot: u32): u64 {
  let pte: u64 = 0;
  if (IS_S1) {
    pte = PTE_nG;
    if ((prot & IOMMU_WRITE) == 0 && (prot & IOMMU_READ) != 0) pte |= PTE_AP_RDONLY;
    else if ((QUIRKS & QUIRK_ARM_HD) != 0) pte |= PTE_DBM;
    if ((prot & IOMMU_PRIV) == 0) pte |= PTE_AP_UNPRIV;
  } else {
    if ((prot & IOMMU_READ) != 0) pte |= PTE_HAP_READ;
    if ((prot & IOMMU_WRITE) != 0) pte |= PTE_HAP_WRITE;
  }
  if (FMT == FMT_ARM_64_LPAE_S2 || FMT == FMT_ARM_32_LPAE_S2) {
    if ((prot & IOMMU_MMIO) != 0) pte |= PTE_MEMATTR_DEV;
    else if ((prot & IOMMU_CACHE) != 0) pte |= (QUIRKS & QUIRK_ARM_S2FWB) != 0 ? PTE_MEMATTR_FWB_WB : PTE_MEMATTR_OIWB;
    else pte |= PTE_MEMATTR_NC;
  } else {
    if ((prot & IOMMU_MMIO) != 0) pte |= MAIR_IDX_DEV << ATTRINDX_SHIFT;
    else if ((prot & IOMMU_CACHE) != 0) pte |= MAIR_IDX_CACHE << ATTRINDX_SHIFT;
  }
  if ((prot & IOMMU_CACHE) != 0 && !IS_MALI) pte |= PTE_SH_IS;
  else pte |= PTE_SH_OS;
  if ((prot & IOMMU_NOEXEC) != 0) pte |= PTE_XN;
  if ((QUIRKS & QUIRK_ARM_NS) != 0) pte |= PTE_NS;
  if (!IS_MALI) pte |= PTE_AF;
  return pte;
}

// ---- guest memory ----
// Core RAM is reached with one ramLin range check and a plain load/store; anything else through mem.ts.
@inline function rd(gpa: u64): u64 {
  const off = ramLin(gpa, 8);
  if (off >= 0) return load<u64>(<usize>off);
  const v = gpaRead64(<f64>gpa);
  if (memAbort) faulted = true;
  return v;
}
@inline function wr(gpa: u64, v: u64): void {
  const off = ramLin(gpa, 8);
  if (off >= 0) store<u64>(<usize>off, v);
  else if (!gpaWrite64(<f64>gpa, v)) faulted = true;
}
/** Linear-memory offset of [gpa, gpa+bytes) when it lies in core RAM, else -1. */
@inline function direct(gpa: u64, bytes: i32): isize {
  return <isize>ramLin(gpa, <u64>bytes);
}

/** Allocates and clears a table of `size` bytes (Linux asks for max(size, 64)); 0 when out of memory. */
function allocTable(size: u64): u64 {
  const asked: u64 = size < 64 ? 64 : size;
  const h = H;
  const g = pgt_alloc(h, <u32>asked);
  reselect(h);
  if (!(g >= 0)) return 0;
  const gpa = <u64>g;
  const p = direct(gpa, <i32>asked);
  if (p >= 0) memory.fill(<usize>p, 0, <usize>asked);
  else for (let o: u64 = 0; o < asked; o += 8) wr(gpa + o, 0);
  store<i32>(REC + R_LIVE, load<i32>(REC + R_LIVE) + 1);
  return gpa;
}

@inline function freeTable(gpa: u64, size: u64): void {
  store<i32>(REC + R_LIVE, load<i32>(REC + R_LIVE) - 1);
  const h = H;
  pgt_free(h, <f64>gpa, <u32>size);
  reselect(h);
}

@inline function tlb(kind: i32, iova: u64, size: u64): void {
  if ((FLAGS & FLAG_TLB) != 0) {
    const h = H;
    pgt_tlb(h, kind, <u32>iova, <u32>(iova >> 32), <f64>size, kind == TLB_FLUSH_WALK ? <f64>GRANULE : <f64>size);
    reselect(h);
  }
}

/** __arm_lpae_free_pgtable: frees the table at `table` (level `lvl`) and everything below it, children first. */
function freePgtable(lvl: i32, table: u64): void {
  const size: u64 = lvl == START ? pgdSize() : GRANULE;
  if (lvl != MAX_LEVELS - 1) {
    const n = <i32>(size >> 3);
    for (let i = 0; i < n; i++) {
      const pte = rd(table + (<u64>i << 3));
      if (faulted) return;
      if (pte == 0 || isLeaf(pte, lvl)) continue;
      freePgtable(lvl + 1, pteToPaddr(pte));
    }
  }
  freeTable(table, size);
}

// ---- unmap ----
const SIZE_ENOENT: u64 = <u64>(-ENOENT);

/**
 * __arm_lpae_unmap from level `lvl` of the table at `table`. Returns the bytes unmapped,
 * 0, or (size_t)-ENOENT. `gather`: issue add_page per removed entry (a non-queued gather).
 */
function unmapFrom(gather: bool, iova: u64, size: u64, pgcount: u64, lvl: i32, table: u64): u64 {
  for (;;) {
    if (lvl == MAX_LEVELS) {
      warn();
      return 0;
    }
    const idx = lvlIdx(iova, lvl);
    const ptep = table + (<u64>idx << 3);
    let pte = rd(ptep);
    if (faulted) return 0;
    if (pte == 0) {
      warnUnlessQuiet();
      return SIZE_ENOENT;
    }
    if (size == blockSize(lvl)) {
      const m = maxEntries(idx);
      const pc = <i32>pgcount; // min_t(int, pgcount, max_entries)
      const num = pc < m ? pc : m;
      let i = 0;
      for (; i < num; i++) {
        pte = rd(ptep + (<u64>i << 3));
        if (faulted) return 0;
        if (pte == 0) {
          warnUnlessQuiet();
          break;
        }
        if (!isLeaf(pte, lvl)) {
          wr(ptep + (<u64>i << 3), 0);
          tlb(TLB_FLUSH_WALK, iova + <u64>i * size, size);
          freePgtable(lvl + 1, pteToPaddr(pte));
          if (faulted) return 0;
        }
      }
      // Clear the entries [0, i).
      if (i > 0) {
        const p = direct(ptep, i << 3);
        if (p >= 0) memory.fill(<usize>p, 0, <usize>(i << 3));
        else for (let j = 0; j < i; j++) wr(ptep + (<u64>j << 3), 0);
      }
      if (gather && (FLAGS & FLAG_TLB) != 0) {
        for (let j = 0; j < i; j++) tlb(TLB_ADD_PAGE, iova + <u64>j * size, size);
      }
      return <u64>i * size;
    } else if (isLeaf(pte, lvl)) {
      warnOnce(); // "Unmap of a partial large IOPTE is not allowed"
      return 0;
    }
    table = pteToPaddr(pte);
    lvl++;
  }
  return 0;
}

/** arm_lpae_unmap_pages. `queued`: the gather is a queued (flush-queue) one, so no add_page. */
export function unmapPages(iova: u64, pgsize: u64, pgcount: u64, queued: bool): u64 {
  if (pgsize == 0 || (pgsize & BITMAP) != pgsize || pgcount == 0) {
    warn();
    return 0;
  }
  let iaext = (<i64>iova) >> <i64>IAS;
  if ((QUIRKS & QUIRK_ARM_TTBR1) != 0) iaext = ~iaext;
  if (iaext != 0) {
    warn();
    return 0;
  }
  return unmapFrom(!queued, iova, pgsize, pgcount, START, PGD);
}

// ---- map ----
/** Bytes mapped by the last mapPages call. */
export let mappedOut: u64 = 0;

/** arm_lpae_init_pte: install `num` leaves at `ptep` (index `idx` of `table`, level `lvl`). */
function initPte(iova: u64, paddr: u64, prot: u64, lvl: i32, num: i32, table: u64, ptep: u64): i32 {
  const sz = blockSize(lvl);
  for (let i = 0; i < num; i++) {
    const pte = rd(ptep + (<u64>i << 3));
    if (faulted) return -EFAULT;
    if (isLeaf(pte, lvl)) {
      warnUnlessQuiet(); // "We require an unmap first"
      return -EEXIST;
    } else if (pteType(pte) == PTE_TYPE_TABLE) {
      // Unmap and free the old table before overwriting it with a block entry.
      if (unmapFrom(false, iova + <u64>i * sz, sz, 1, lvl, table) != sz) {
        if (faulted) return -EFAULT;
        warn();
        return -EINVAL;
      }
    }
  }
  const base = prot | (!IS_MALI && lvl == MAX_LEVELS - 1 ? PTE_TYPE_PAGE : PTE_TYPE_BLOCK);
  if (num > 0) {
    const p = direct(ptep, num << 3);
    if (p >= 0) {
      let pa = paddr;
      for (let i = 0; i < num; i++) {
        store<u64>(<usize>p + (<usize>i << 3), base | paddrToPte(pa));
        pa += sz;
      }
    } else {
      for (let i = 0; i < num; i++) wr(ptep + (<u64>i << 3), base | paddrToPte(paddr + <u64>i * sz));
    }
  }
  return faulted ? -EFAULT : 0;
}

/** arm_lpae_map_pages: 0 or a negative errno; bytes mapped in mappedOut. */
export function mapPages(iova: u64, paddr: u64, pgsize: u64, pgcount: u64, iommuProt: u32): i32 {
  mappedOut = 0;
  if (pgsize == 0 || (pgsize & BITMAP) != pgsize) {
    warn();
    return -EINVAL;
  }
  let iaext = (<i64>iova) >> <i64>IAS;
  if ((QUIRKS & QUIRK_ARM_TTBR1) != 0) iaext = ~iaext;
  if (iaext != 0 || (paddr >> <u64>OAS) != 0) {
    warn();
    return -ERANGE;
  }
  if ((iommuProt & (IOMMU_READ | IOMMU_WRITE)) == 0) return -EINVAL;
  const prot = protToPte(iommuProt);

  let lvl = START;
  let table = PGD;
  for (;;) {
    const idx = lvlIdx(iova, lvl);
    const ptep = table + (<u64>idx << 3);
    if (pgsize == blockSize(lvl)) {
      const m = maxEntries(idx);
      const pc = <i32>pgcount;
      const num = pc < m ? pc : m;
      const ret = initPte(iova, paddr, prot, lvl, num, table, ptep);
      if (ret == 0) mappedOut = <u64>(<i64>num) * pgsize;
      return ret;
    }
    // Tables cannot be allocated at the final level.
    if (lvl >= MAX_LEVELS - 1) {
      warn();
      return -EINVAL;
    }
    let pte = rd(ptep);
    if (faulted) return -EFAULT;
    if (pte == 0) {
      const t = allocTable(GRANULE);
      if (t == 0) return -ENOMEM;
      let neu = paddrToPte(t) | PTE_TYPE_TABLE;
      if ((QUIRKS & QUIRK_ARM_NS) != 0) neu |= PTE_NSTABLE;
      wr(ptep, neu);
      if (faulted) return -EFAULT;
      table = t;
    } else if (isLeaf(pte, lvl)) {
      warnUnlessQuiet(); // "We require an unmap first"
      return -EEXIST;
    } else {
      table = pteToPaddr(pte);
    }
    lvl++;
  }
  return -EINVAL;
}

// ---- walk ----
/**
 * __arm_lpae_iopte_walk for one address (pgtable_walk / iova_to_phys): records every entry read
 * by absolute level in walkPtes; 0 when a leaf was reached (walkLvl / walkPte), else -EINVAL.
 */
export function walk(iova: u64): i32 {
  store<u64>(walkPtes, 0);
  store<u64>(walkPtes + 8, 0);
  store<u64>(walkPtes + 16, 0);
  store<u64>(walkPtes + 24, 0);
  let lvl = START;
  let table = PGD;
  for (;;) {
    if (lvl == MAX_LEVELS) {
      warn();
      return -EINVAL;
    }
    const pte = rd(table + (<u64>lvlIdx(iova, lvl) << 3));
    if (faulted) return -EFAULT;
    store<u64>(walkPtes + (<usize>lvl << 3), pte);
    walkLvl = lvl;
    walkPte = pte;
    if (isLeaf(pte, lvl)) return 0;
    if (!isTable(pte, lvl)) return -EINVAL;
    table = pteToPaddr(pte);
    lvl++;
  }
  return -EINVAL;
}

/** arm_lpae_iova_to_phys: the output address, 0 when not mapped; -1 when a table access aborted. */
export function iovaToPhys(iova: u64): i64 {
  const ret = walk(iova);
  if (ret == -EFAULT) return -1;
  if (ret != 0) return 0;
  return <i64>(pteToPaddr(walkPte) | (iova & (blockSize(walkLvl) - 1)));
}

export function walkPtesPtr(): usize {
  return walkPtes;
}

// ---- life cycle ----
/**
 * Creates table `h` with the geometry the facade computed (Linux's arm_lpae_alloc_pgtable and
 * the format's alloc function): allocates and clears the root. 0, or a negative errno.
 */
export function create(
  h: i32,
  fmt: i32,
  quirks: u32,
  ias: i32,
  oas: i32,
  bitmap: u64,
  bpl: i32,
  start: i32,
  pgdBits: i32,
  flags: u32,
): i32 {
  if (<u32>h >= <u32>capacity) return -EINVAL;
  const r = rec(h);
  if (load<i32>(r + R_INUSE) != 0) return -EEXIST;
  memory.fill(r, 0, REC_SIZE);
  store<u64>(r + R_BITMAP, bitmap);
  store<i32>(r + R_FMT, fmt);
  store<u32>(r + R_QUIRKS, quirks);
  store<i32>(r + R_IAS, ias);
  store<i32>(r + R_OAS, oas);
  store<i32>(r + R_BPL, bpl);
  store<i32>(r + R_START, start);
  store<i32>(r + R_PGDBITS, pgdBits);
  store<u32>(r + R_FLAGS, flags);
  store<i32>(r + R_INUSE, 1);
  H = -1; // reload: the handle may have held another table before
  select(h);
  const pgd = allocTable(pgdSize());
  if (pgd == 0 || faulted) {
    store<i32>(r + R_INUSE, 0);
    return pgd == 0 ? -ENOMEM : -EFAULT;
  }
  store<u64>(r + R_PGD, pgd);
  PGD = pgd;
  return 0;
}

/** free_io_pgtable_ops: frees every table, root included, and releases the handle. */
export function destroy(): i32 {
  freePgtable(START, PGD);
  store<i32>(REC + R_INUSE, 0);
  return faulted ? -EFAULT : 0;
}

export function pgd(): u64 {
  return PGD;
}
export function isFaulted(): bool {
  return faulted;
}
export function setFlags(flags: u32): void {
  FLAGS = flags;
  store<u32>(REC + R_FLAGS, flags);
}
export function live(): i32 {
  return load<i32>(REC + R_LIVE);
}
export function warnings(): i32 {
  return load<i32>(REC + R_WARN);
}
export function warnOnces(): i32 {
  return load<i32>(REC + R_WARNONCE);
}
