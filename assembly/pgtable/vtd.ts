// The Intel VT-d second-stage page-table writer, with the semantics and return values of
// current upstream Linux: the generic page-table code (drivers/iommu/generic_pt/iommu_pt.h,
// format drivers/iommu/generic_pt/fmt/vtdss.h, "iommupt") that the intel driver uses for its
// second-stage domains since 2025 (map_pages / unmap_pages / iova_to_phys / deinit).
//
// Levels are numbered as generic_pt does: 0 = SS-PTE (4 KiB items), 1 = SS-PDE (2 MiB),
// 2 = SS-PDPE (1 GiB), 3 = SS-PML4E, 4 = SS-PML5E; the top is level 2, 3 or 4 (AW 1, 2, 3).
// Leaves are possible at levels 0..2 (PS set at 1 and 2); table entries are R|W|address.
//
// Behaviour kept from generic_pt, including what it does on odd input:
//  - map: prot without READ|WRITE is -EINVAL (WARN_ON); paddr at or above 2^oas is -ERANGE;
//    a read-only mapping on a nesting parent (FORCE_WRITEABLE) is -EINVAL; len = pgsize *
//    pgcount (size_t arithmetic) of 0 is -EINVAL, iova + len - 1 wrapping is -EOVERFLOW; a
//    single PAGE_SIZE page that is not 4 KiB aligned is -ENXIO; otherwise the leaf size is
//    the best one for the WHOLE range (largest page in the domain bitmap to which iova and
//    paddr are aligned and which is not larger than the largest power of two <= len), so
//    512 x 4K at 2 MiB-aligned iova/paddr becomes one 2 MiB leaf, and the pgsize argument is
//    not checked against the bitmap; no such size is -ENXIO; iova or the last byte at or
//    above 2^vasz is -ERANGE; a present leaf in the way is -EADDRINUSE, a present table where
//    a leaf goes is freed if nothing below it is mapped (else -EADDRINUSE); -ENOMEM when a
//    table cannot be allocated. *mapped is the bytes installed even when an error stops
//    the walk part way (map_pages adds map.oa - paddr whatever ret is).
//  - unmap: returns the bytes unmapped, 0 when len is 0, overflows or leaves the aperture.
//    A hole stops the walk (the bytes before it are returned). An unmap that starts at a
//    large leaf removes the whole leaf and returns its size (more than asked); one that
//    starts inside a large leaf (not at its start) removes nothing and returns 0. Tables whose
//    whole span the range covers are freed once everything below them was unmapped; others
//    are kept, even when left empty.
//  - iova_to_phys: the output address, 0 when not mapped; an iova beyond the aperture gives
//    (phys_addr_t)-ERANGE in Linux, reported here as -ERANGE.
// Pages freed by an operation are handed back at its end, in the order Linux's free list
// holds them (Linux frees them after the IOTLB sync of the same operation); past PEND_MAX
// pages in one operation the rest are freed at once (only their reuse order can differ).
// Not modelled: IOTLB gathers (the caller flushes the whole range it unmapped), dirty
// tracking (read_and_clear_dirty), and the map_pages quirk's PT_WARN_ON for a len that is not
// a multiple of the chosen leaf size (the whole last leaf is installed and counted, as upstream).
//
// The pre-2025 driver (drivers/iommu/intel/iommu.c: intel_iommu_map_pages / __domain_mapping,
// intel_iommu_unmap_pages / dma_pte_clear_range, intel_iommu_iova_to_phys / pfn_to_dma_pte)
// differed: map_pages refused a pgsize other than 4K/2M/1G and an iova|paddr not aligned to
// pgsize with -EINVAL and an address beyond the domain width with -EFAULT; mapping over a
// present PTE kept the old entry (cmpxchg from 0 failed), printed "DMA PTE for vPFN ...
// already set", hit WARN_ON(1) and carried on, so map_pages still returned 0 (every version
// of __domain_mapping checked, 3.x to 6.x, behaves so; none returns -EBUSY there); it chose
// superpages per chunk from the supported levels; unmap of any part of a superpage removed the
// whole superpage and returned its size, and unmap of a hole still returned the size asked;
// SNP was set from domain->set_pte_snp (older still: IOMMU_CACHE && snooping), as here.
//
// No allocation at run time: per-table state sits in records the embedder hands over, and the
// pending-free list is a static block.
import { gpaRead64, gpaWrite64, memAbort } from '../mem';
import { ramLin } from '../ram';
import {
  VTD_SS_PTE_R_MASK,
  VTD_SS_PTE_W_MASK,
  VTD_SS_PTE_PS_MASK,
  VTD_SS_PTE_SNP_MASK,
  VTD_SS_PTE_ADDR_MASK,
} from '../generated/vtd';

const IOMMU_READ: u32 = 1;
const IOMMU_WRITE: u32 = 2;

export const ENXIO: i32 = 6;
export const ENOMEM: i32 = 12;
/** Not a Linux return: a table access hit memory nobody backs (the facade throws). */
export const EFAULT: i32 = 14;
export const EINVAL: i32 = 22;
export const ERANGE: i32 = 34;
export const EOVERFLOW: i32 = 75;
export const EADDRINUSE: i32 = 98;

/** generic_pt features the writer honours (bit values private to this ABI). */
export const FEAT_FORCE_COHERENCE: u32 = 1; // PT_FEAT_VTDSS_FORCE_COHERENCE: SNP in every leaf
export const FEAT_FORCE_WRITEABLE: u32 = 2; // PT_FEAT_VTDSS_FORCE_WRITEABLE: no read-only leaves
export const FEAT_DMA_INCOHERENT: u32 = 4; // PT_FEAT_DMA_INCOHERENT: cache flushes (counted only)

const TABLE_BYTES: u64 = 4096;
const ITEMS_LG2: i32 = 9;
const PAGE_SIZE: u64 = 4096;

const T_EMPTY: i32 = 0;
const T_TABLE: i32 = 1;
const T_OA: i32 = 2;

// ---- per-table records ----
export const REC_SIZE: usize = 64;
const R_PGD: usize = 0; // u64
const R_BITMAP: usize = 8; // u64
const R_TOP: usize = 16; // i32
const R_VASZ: usize = 20; // i32
const R_OASZ: usize = 24; // i32
const R_FEAT: usize = 28; // u32
const R_LIVE: usize = 32; // i32
const R_INUSE: usize = 36; // i32
const R_WARN: usize = 40; // i32
const R_HASMAP: usize = 44; // i32
const R_FLUSH: usize = 48; // i32 cache-line flushes asked for (DMA_INCOHERENT)

let records: usize = 0;
let capacity: i32 = 0;

export function setRecords(ptr: usize, cap: i32): void {
  H = -1;
  REC = 0;
  records = ptr;
  capacity = cap;
}

@external("env", "pgt_alloc")
declare function pgt_alloc(h: i32, size: u32): f64;
@external("env", "pgt_free")
declare function pgt_free(h: i32, gpa: f64, size: u32): void;

// ---- the current table ----
let H: i32 = -1;
let REC: usize = 0;
let PGD: u64 = 0;
let BITMAP: u64 = 0;
let TOP: i32 = 0;
let VASZ: i32 = 0;
let OASZ: i32 = 0;
let FEAT: u32 = 0;
let faulted: bool = false;

// Pages to free at the end of the current operation (Linux's free list / gather freelist).
const PEND_MAX: i32 = 512;
const pend: usize = memory.data(PEND_MAX * 8, 8);
let pendN: i32 = 0;

@inline function rec(h: i32): usize {
  return records + <usize>h * REC_SIZE;
}

export function select(h: i32): bool {
  if (<u32>h >= <u32>capacity) return false;
  const r = rec(h);
  if (load<i32>(r + R_INUSE) == 0) return false;
  H = h;
  REC = r;
  PGD = load<u64>(r + R_PGD);
  BITMAP = load<u64>(r + R_BITMAP);
  TOP = load<i32>(r + R_TOP);
  VASZ = load<i32>(r + R_VASZ);
  OASZ = load<i32>(r + R_OASZ);
  FEAT = load<u32>(r + R_FEAT);
  faulted = false;
  pendN = 0;
  return true;
}

function reselect(h: i32): void {
  if (H == h) return;
  const f = faulted;
  const n = pendN;
  select(h);
  faulted = f;
  pendN = n;
}

@inline function warn(): void {
  store<i32>(REC + R_WARN, load<i32>(REC + R_WARN) + 1);
}
@inline function flushWrites(n: i32): void {
  if ((FEAT & FEAT_DMA_INCOHERENT) != 0 && n > 0) store<i32>(REC + R_FLUSH, load<i32>(REC + R_FLUSH) + 1);
}

// ---- geometry (generic_pt levels) ----
@inline function itemLg2(level: i32): u64 {
  return <u64>(12 + 9 * level);
}
@inline function indexOf(va: u64, level: i32): i32 {
  return <i32>((va >> itemLg2(level)) & 511);
}
/** pt_range_to_end_index: one past the last index of [va, last] inside the table holding va. */
function endIndex(va: u64, last: u64, level: i32): i32 {
  if (va == last) return indexOf(va, level) + 1;
  const span = itemLg2(level) + <u64>ITEMS_LG2;
  if (span >= 64 || (va >> span) == (last >> span)) return indexOf(last, level) + 1;
  return 512;
}
/** va with its index bits at `level` set to `index` (pt_index_to_va). */
@inline function indexToVa(va: u64, index: i32, level: i32): u64 {
  const isz = itemLg2(level);
  const tableMask: u64 = (<u64>1 << (isz + <u64>ITEMS_LG2)) - 1;
  return (va & ~tableMask) | (<u64>index << isz);
}

// ---- entries ----
@inline function entryType(e: u64, level: i32): i32 {
  if (e == 0) return T_EMPTY;
  if (level == 0 || (level <= 2 && (e & VTD_SS_PTE_PS_MASK) != 0)) return T_OA;
  return T_TABLE;
}
@inline function entryAddr(e: u64): u64 {
  return e & VTD_SS_PTE_ADDR_MASK;
}

// ---- guest memory ----
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

/** A cleared 4 KiB table, or 0 when the allocator is out of memory. */
function allocTable(): u64 {
  const h = H;
  const g = pgt_alloc(h, <u32>TABLE_BYTES);
  reselect(h);
  if (!(g >= 0)) return 0;
  const gpa = <u64>g;
  const p = ramLin(gpa, TABLE_BYTES);
  if (p >= 0) memory.fill(<usize>p, 0, <usize>TABLE_BYTES);
  else for (let o: u64 = 0; o < TABLE_BYTES; o += 8) wr(gpa + o, 0);
  store<i32>(REC + R_LIVE, load<i32>(REC + R_LIVE) + 1);
  return gpa;
}

function freeNow(gpa: u64): void {
  store<i32>(REC + R_LIVE, load<i32>(REC + R_LIVE) - 1);
  const h = H;
  pgt_free(h, <f64>gpa, <u32>TABLE_BYTES);
  reselect(h);
}

/** Adds a table to the operation's free list (freed at once if the static list is full). */
function pendFree(gpa: u64): void {
  if (pendN < PEND_MAX) {
    store<u64>(pend + (<usize>pendN << 3), gpa);
    pendN++;
  } else {
    freeNow(gpa);
  }
}

/** Frees the operation's free list in order (iommu_put_pages_list after the IOTLB sync). */
function flushPend(): void {
  const n = pendN;
  pendN = 0;
  for (let i = 0; i < n; i++) freeNow(load<u64>(pend + (<usize>i << 3)));
}

// ---- helpers shared by map and deinit ----
/**
 * __collect_tables over the whole table at `table` (level `level`): with `check` any leaf is
 * -EADDRINUSE (nothing is listed then); otherwise every table below is listed, pre-order.
 * `list`: add the tables found to the free list.
 */
function collect(level: i32, table: u64, check: bool, list: bool): i32 {
  if (!check && level == 0) return 0;
  for (let i = 0; i < 512; i++) {
    const e = rd(table + (<u64>i << 3));
    if (faulted) return -EFAULT;
    const t = entryType(e, level);
    if (t == T_TABLE) {
      if (list) pendFree(entryAddr(e));
      const r = collect(level - 1, entryAddr(e), check, list);
      if (r != 0) return r;
    } else if (t == T_OA && check) {
      return -EADDRINUSE;
    }
  }
  return 0;
}

// ---- map ----
let mapOa: u64 = 0;
let mapAttrs: u64 = 0;
let leafLevel: i32 = 0;
let leafLg2: u64 = 0;
/** Bytes installed by the last mapPages call (also when it failed part way). */
export let mappedOut: u64 = 0;

/** clear_contig for one present entry where a leaf goes: 0 when it was an empty table (now cleared and listed). */
function clearContig(level: i32, ptep: u64, e: u64): i32 {
  if (entryType(e, level) != T_TABLE) return -EADDRINUSE;
  const child = entryAddr(e);
  // First pass only checks; Linux builds its list while checking and drops it on failure.
  const r = collect(level - 1, child, true, false);
  if (r != 0) return r;
  const mark = pendN;
  collect(level - 1, child, false, true);
  if (faulted) {
    pendN = mark;
    return -EFAULT;
  }
  wr(ptep, 0);
  flushWrites(1);
  pendFree(child);
  return faulted ? -EFAULT : 0;
}

/** __map_range_leaf: installs leaves of leafLg2 over [va, last] in the table at `table`. */
function mapLeaf(level: i32, table: u64, va: u64, last: u64): i32 {
  let index = indexOf(va, level);
  const end = endIndex(va, last, level);
  const start = index;
  const step = <u64>1 << leafLg2;
  let ret = 0;
  do {
    const ptep = table + (<u64>index << 3);
    const e = rd(ptep);
    if (faulted) return -EFAULT;
    if (e != 0) {
      ret = clearContig(level, ptep, e);
      if (ret != 0) break;
    }
    let neu = ((mapOa >> 12) << 12) & VTD_SS_PTE_ADDR_MASK;
    neu |= mapAttrs;
    if (level != 0) neu |= VTD_SS_PTE_PS_MASK;
    wr(ptep, neu);
    if (faulted) return -EFAULT;
    mapOa += step;
    index++;
  } while (index < end);
  flushWrites(index - start);
  return ret;
}

/** __map_range: walks (allocating tables) down to the leaf level over [va, last]. */
function mapRange(level: i32, table: u64, va: u64, last: u64): i32 {
  let index = indexOf(va, level);
  const end = endIndex(va, last, level);
  for (;;) {
    const ptep = table + (<u64>index << 3);
    const e = rd(ptep);
    if (faulted) return -EFAULT;
    const t = entryType(e, level);
    let lower: u64 = 0;
    if (t != T_TABLE) {
      if (t != T_EMPTY) return -EADDRINUSE;
      lower = allocTable();
      if (lower == 0) return -ENOMEM;
      wr(ptep, VTD_SS_PTE_R_MASK | VTD_SS_PTE_W_MASK | (lower & VTD_SS_PTE_ADDR_MASK));
      if (faulted) return -EFAULT;
      flushWrites(1);
    } else {
      lower = entryAddr(e);
    }
    const ret = leafLevel == level - 1 ? mapLeaf(level - 1, lower, va, last) : mapRange(level - 1, lower, va, last);
    if (ret != 0) return ret;
    index++;
    va = indexToVa(va, index, level);
    if (index >= end) break;
  }
  return 0;
}

/** pt_compute_best_pgsize: lg2 of the best leaf size for [va, last] at oa, 0 for none. */
function bestPgsize(bitmap: u64, va: u64, last: u64, oa: u64): u64 {
  if (va >= last) return 0; // PT_WARN_ON
  const len = last - va + 1;
  let mask = va | oa;
  mask |= <u64>1 << (63 - clz<u64>(len));
  const best = ctz<u64>(mask);
  let bm = bitmap;
  if (best < 63) bm &= (<u64>1 << (best + 1)) - 1;
  if (bm == 0) return 0;
  return 63 - clz<u64>(bm);
}

@inline function outOfRange(va: u64): bool {
  return VASZ < 64 && (va >> <u64>VASZ) != 0;
}

/** map_pages: 0 or a negative errno; bytes installed in mappedOut. */
export function mapPages(iova: u64, paddr: u64, pgsize: u64, pgcount: u64, prot: u32): i32 {
  mappedOut = 0;
  if ((prot & (IOMMU_READ | IOMMU_WRITE)) == 0) {
    warn();
    return -EINVAL;
  }
  if (OASZ < 64 && (paddr >> <u64>OASZ) != 0) return -ERANGE;
  // vtdss_pt_iommu_set_prot
  let attrs: u64 = 0;
  if ((prot & IOMMU_READ) != 0) attrs |= VTD_SS_PTE_R_MASK;
  if ((prot & IOMMU_WRITE) != 0) attrs |= VTD_SS_PTE_W_MASK;
  if ((FEAT & FEAT_FORCE_COHERENCE) != 0) attrs |= VTD_SS_PTE_SNP_MASK;
  if ((FEAT & FEAT_FORCE_WRITEABLE) != 0 && (prot & IOMMU_WRITE) == 0) return -EINVAL;
  mapAttrs = attrs;
  // make_range_no_check
  const len = pgsize * pgcount;
  if (len == 0) return -EINVAL;
  const last = iova + (len - 1);
  if (last < iova) return -EOVERFLOW;
  if (pgsize == PAGE_SIZE && pgcount == 1) {
    if (((iova | paddr) & (PAGE_SIZE - 1)) != 0) return -ENXIO;
    leafLg2 = 12;
  } else {
    leafLg2 = bestPgsize(BITMAP, iova, last, paddr);
    if (leafLg2 == 0) return -ENXIO;
  }
  leafLevel = <i32>((leafLg2 - 12) / 9);
  // check_map_range (no dynamic top for vtdss)
  if (outOfRange(iova) || outOfRange(last)) return -ERANGE;
  mapOa = paddr;
  const ret = leafLevel == TOP ? mapLeaf(TOP, PGD, iova, last) : mapRange(TOP, PGD, iova, last);
  if (faulted) {
    pendN = 0;
    return -EFAULT;
  }
  flushPend();
  mappedOut = mapOa - paddr;
  if (mappedOut != 0) store<i32>(REC + R_HASMAP, 1);
  return ret;
}

// ---- unmap ----
let unmapped: u64 = 0;

/** __unmap_range over [va, last] in the table at `table`. */
function unmapRange(level: i32, table: u64, va: u64, last: u64): i32 {
  let index = indexOf(va, level);
  const end = endIndex(va, last, level);
  const start = index;
  const isz = itemLg2(level);
  let numOas: u64 = 0;
  let ret = 0;
  let e = rd(table + (<u64>index << 3));
  if (faulted) return -EFAULT;
  let t = entryType(e, level);
  // An unmap starting inside (not at the start of) a large leaf removes nothing.
  if (t == T_OA && (va & ((<u64>1 << isz) - 1)) != 0) return -EINVAL;
  for (;;) {
    const ptep = table + (<u64>index << 3);
    if (t != T_OA) {
      if (t != T_TABLE) {
        ret = -EINVAL;
        break;
      }
      if (index != start) va = indexToVa(va, index, level);
      const lower = entryAddr(e);
      const m: u64 = (<u64>1 << isz) - 1;
      const fully = (va & m) == 0 && ((va >> isz) != (last >> isz) || (last & m) == m);
      ret = unmapRange(level - 1, lower, va, last);
      if (ret != 0) break;
      if (fully) {
        pendFree(lower);
        wr(ptep, 0);
      }
      index++;
    } else {
      wr(ptep, 0);
      numOas++;
      index++;
    }
    if (faulted) return -EFAULT;
    if (index >= end) break;
    e = rd(table + (<u64>index << 3));
    if (faulted) return -EFAULT;
    t = entryType(e, level);
  }
  unmapped += numOas << isz;
  flushWrites(index - start);
  return ret;
}

/** unmap_pages: bytes unmapped. */
export function unmapPages(iova: u64, pgsize: u64, pgcount: u64): u64 {
  const len = pgsize * pgcount;
  if (len == 0) return 0;
  const last = iova + (len - 1);
  if (last < iova) return 0;
  if (outOfRange(iova) || outOfRange(last)) return 0;
  unmapped = 0;
  unmapRange(TOP, PGD, iova, last);
  if (faulted) {
    pendN = 0;
    return 0;
  }
  flushPend();
  return unmapped;
}

// ---- iova_to_phys ----
/** The output address, 0 when unmapped, -ERANGE beyond the aperture, -EFAULT on an abort. */
export function iovaToPhys(iova: u64): i64 {
  if (outOfRange(iova)) return -ERANGE;
  let level = TOP;
  let table = PGD;
  for (;;) {
    const e = rd(table + (<u64>indexOf(iova, level) << 3));
    if (faulted) return -EFAULT;
    const t = entryType(e, level);
    if (t == T_EMPTY) return 0;
    if (t == T_OA) {
      const m: u64 = (<u64>1 << itemLg2(level)) - 1;
      return <i64>((entryAddr(e) & ~m) | (iova & m));
    }
    table = entryAddr(e);
    level--;
  }
  return 0;
}

// ---- life cycle ----
/** Creates table `h` and allocates its (4 KiB) top table: 0 or a negative errno. */
export function create(h: i32, top: i32, vasz: i32, oasz: i32, bitmap: u64, features: u32): i32 {
  if (<u32>h >= <u32>capacity) return -EINVAL;
  if (top < 2 || top > 4) return -EINVAL;
  const r = rec(h);
  if (load<i32>(r + R_INUSE) != 0) return -EINVAL;
  memory.fill(r, 0, REC_SIZE);
  store<u64>(r + R_BITMAP, bitmap);
  store<i32>(r + R_TOP, top);
  store<i32>(r + R_VASZ, vasz);
  store<i32>(r + R_OASZ, oasz);
  store<u32>(r + R_FEAT, features);
  store<i32>(r + R_INUSE, 1);
  select(h);
  const pgd = allocTable();
  if (pgd == 0 || faulted) {
    store<i32>(r + R_INUSE, 0);
    H = -1;
    return pgd == 0 ? -ENOMEM : -EFAULT;
  }
  store<u64>(r + R_PGD, pgd);
  PGD = pgd;
  return 0;
}

/** deinit: the top table first, then every table below it (pre-order), then the handle is released. */
export function destroy(): i32 {
  pendN = 0;
  pendFree(PGD);
  collect(TOP, PGD, false, true);
  if (faulted) {
    pendN = 0;
    return -EFAULT;
  }
  flushPend();
  store<i32>(REC + R_INUSE, 0);
  H = -1;
  return 0;
}

export function setFeatures(f: u32): void {
  FEAT = f;
  store<u32>(REC + R_FEAT, f);
}
export function features(): u32 {
  return FEAT;
}
export function pgd(): u64 {
  return PGD;
}
export function isFaulted(): bool {
  return faulted;
}
export function live(): i32 {
  return load<i32>(REC + R_LIVE);
}
export function warnings(): i32 {
  return load<i32>(REC + R_WARN);
}
export function hasMappings(): i32 {
  return load<i32>(REC + R_HASMAP);
}
export function cacheFlushes(): i32 {
  return load<i32>(REC + R_FLUSH);
}
