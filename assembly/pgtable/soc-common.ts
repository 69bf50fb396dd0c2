// Shared state of the POWER TCE and SoC IOMMU page-table writers (tce.ts, dart.ts,
// rockchip.ts, flat.ts): per-table records, guest-memory access, table allocation and the
// TLB-maintenance callback, in the style of lpae.ts.
//
// Records: SREC bytes per handle in a block of linear memory the embedder reserves (with
// ram_alloc, like the LPAE writer's records) and hands over with setSocRecords; it may move them
// to a larger block (copying the bytes) as handles are added. Nothing is allocated here at run
// time. A record holds the format, the embedder's hook handle (the index
// the pgt_alloc / pgt_free / pgt_tlb imports route by, shared with the LPAE writer's tables),
// counters, and format parameters in generic slots P0..P7 (i32) and X0..X7 (u64), which each
// format names in its own file.
//
// Errors that are not Linux return values: -EFAULT (a table access hit memory nobody backs)
// and -EBADF (the handle is not a live table); the facades throw on both.
import { gpaRead32, gpaRead64, gpaWrite32, gpaWrite64, memAbort } from '../mem';
import { ramLin } from '../ram';

// ---- errno (Linux values) ----
export const ENOENT: i32 = 2;
export const EBADF: i32 = 9;
export const ENOMEM: i32 = 12;
export const EFAULT: i32 = 14;
export const EBUSY: i32 = 16;
export const EEXIST: i32 = 17;
export const EINVAL: i32 = 22;
export const ERANGE: i32 = 34;
export const EOPNOTSUPP: i32 = 95;
export const EADDRINUSE: i32 = 98;

// ---- Linux IOMMU_* prot flags (include/linux/iommu.h) ----
export const IOMMU_READ: u32 = 1;
export const IOMMU_WRITE: u32 = 2;
export const IOMMU_CACHE: u32 = 4;

// ---- formats ----
export const SK_TCE: i32 = 1;
export const SK_DART: i32 = 2;
export const SK_RK: i32 = 3;
export const SK_MTK: i32 = 4;
export const SK_GART: i32 = 5;

// ---- TLB callback kinds (pgt_tlb); 1 and 2 are the LPAE writer's flush_walk / add_page ----
export const TLB_ADD_PAGE: i32 = 2;
/** Rockchip RK_MMU_ZAP_ONE_LINE of one 4 KiB IOVA (iova, 4096). */
export const TLB_ZAP_LINE: i32 = 3;
/** MediaTek M4U v1 range invalidation (iova, size), as mtk_iommu_v1_tlb_flush_range. */
export const TLB_FLUSH_RANGE: i32 = 4;

/** Table flag: report TLB maintenance through pgt_tlb. */
export const SF_TLB: u32 = 1;

// ---- records ----
export const SREC: usize = 128;
const K_KIND: usize = 0;
const K_HOOK: usize = 4;
const K_INUSE: usize = 8;
const K_FLAGS: usize = 12;
const K_LIVE: usize = 16;
const K_WARN: usize = 20;
const K_P: usize = 24; // 8 x i32 -> 56
const K_X: usize = 56; // 8 x u64 -> 120
let recs: usize = 0;
let capacity: i32 = 0;

/** Uses the `cap` records at linear offset `ptr` (zeroed, or copied from the previous block). */
export function setSocRecords(ptr: usize, cap: i32): void {
  recs = ptr;
  capacity = cap;
  R = 0;
}

/** The current table's record (set by selectSoc). */
export let R: usize = 0;
/** Its hook handle. */
export let HOOK: i32 = -1;
/** Sticky: a table access aborted during the current operation. */
export let faulted: bool = false;

@inline export function pI(i: usize): i32 {
  return load<i32>(R + K_P + (i << 2));
}
@inline export function setPI(i: usize, v: i32): void {
  store<i32>(R + K_P + (i << 2), v);
}
@inline export function xU(i: usize): u64 {
  return load<u64>(R + K_X + (i << 3));
}
@inline export function setXU(i: usize, v: u64): void {
  store<u64>(R + K_X + (i << 3), v);
}
@inline export function kind(): i32 {
  return load<i32>(R + K_KIND);
}
@inline export function flags(): u32 {
  return load<u32>(R + K_FLAGS);
}

/** Makes table `s` current; false when `s` is not a live table of kind `k` (0: any kind). */
export function selectSoc(s: i32, k: i32): bool {
  if (<u32>s >= <u32>capacity) return false;
  const r = recs + <usize>s * SREC;
  if (load<i32>(r + K_INUSE) == 0) return false;
  if (k != 0 && load<i32>(r + K_KIND) != k) return false;
  R = r;
  HOOK = load<i32>(r + K_HOOK);
  faulted = false;
  return true;
}

/** Claims record `s` for a new table: -EINVAL (out of range) / -EEXIST (in use) / 0. */
export function claimSoc(s: i32, k: i32, hook: i32, fl: u32): i32 {
  if (<u32>s >= <u32>capacity) return -EINVAL;
  const r = recs + <usize>s * SREC;
  if (load<i32>(r + K_INUSE) != 0) return -EEXIST;
  memory.fill(r, 0, SREC);
  store<i32>(r + K_KIND, k);
  store<i32>(r + K_HOOK, hook);
  store<u32>(r + K_FLAGS, fl);
  store<i32>(r + K_INUSE, 1);
  R = r;
  HOOK = hook;
  faulted = false;
  return 0;
}

/** Releases the current record. */
export function releaseSoc(): void {
  store<i32>(R + K_INUSE, 0);
}

export function setSocFlags(fl: u32): void {
  store<u32>(R + K_FLAGS, fl);
}
export function socLive(): i32 {
  return load<i32>(R + K_LIVE);
}
export function socWarnings(): i32 {
  return load<i32>(R + K_WARN);
}
/** WARN / WARN_ON hit. */
export function warn(): void {
  store<i32>(R + K_WARN, load<i32>(R + K_WARN) + 1);
}

// ---- embedder imports (the same ones the LPAE writer uses, routed by hook handle) ----
@external("env", "pgt_alloc")
declare function soc_pgt_alloc(h: i32, size: u32): f64;
@external("env", "pgt_free")
declare function soc_pgt_free(h: i32, gpa: f64, size: u32): void;
@external("env", "pgt_tlb")
declare function soc_pgt_tlb(h: i32, kind: i32, iovaLo: u32, iovaHi: u32, size: f64, granule: f64): void;

/** Restores the current table after a call out to the embedder (which may have used another). */
@inline function keep(r: usize, h: i32, f: bool): void {
  R = r;
  HOOK = h;
  faulted = f;
}

/**
 * Allocates a zeroed table of `size` bytes; its guest-physical address, or -1 when the
 * allocator is out of memory (a table address is never negative).
 */
export function allocTable(size: u32): i64 {
  const r = R;
  const h = HOOK;
  const f = faulted;
  const g = soc_pgt_alloc(h, size);
  keep(r, h, f);
  if (!(g >= 0)) return -1;
  const gpa = <u64>g;
  const p = ramLin(gpa, <u64>size);
  if (p >= 0) memory.fill(<usize>p, 0, <usize>size);
  else for (let o: u64 = 0; o < <u64>size; o += 8) wr64(gpa + o, 0);
  store<i32>(R + K_LIVE, load<i32>(R + K_LIVE) + 1);
  return <i64>gpa;
}

export function freeTable(gpa: u64, size: u32): void {
  store<i32>(R + K_LIVE, load<i32>(R + K_LIVE) - 1);
  const r = R;
  const h = HOOK;
  const f = faulted;
  soc_pgt_free(h, <f64>gpa, size);
  keep(r, h, f);
}

/** A TLB-maintenance callback, when the table asked for them. */
export function tlb(k: i32, iova: u64, size: u64, granule: u64): void {
  if ((flags() & SF_TLB) == 0) return;
  const r = R;
  const h = HOOK;
  const f = faulted;
  soc_pgt_tlb(h, k, <u32>iova, <u32>(iova >> 32), <f64>size, <f64>granule);
  keep(r, h, f);
}

// ---- guest memory (core RAM directly, anything else through mem.ts) ----
export function rd64(gpa: u64): u64 {
  const off = ramLin(gpa, 8);
  if (off >= 0) return load<u64>(<usize>off);
  const v = gpaRead64(<f64>gpa);
  if (memAbort) faulted = true;
  return v;
}
export function wr64(gpa: u64, v: u64): void {
  const off = ramLin(gpa, 8);
  if (off >= 0) store<u64>(<usize>off, v);
  else if (!gpaWrite64(<f64>gpa, v)) faulted = true;
}
export function rd32(gpa: u64): u32 {
  const off = ramLin(gpa, 4);
  if (off >= 0) return load<u32>(<usize>off);
  const v = gpaRead32(<f64>gpa);
  if (memAbort) faulted = true;
  return v;
}
export function wr32(gpa: u64, v: u32): void {
  const off = ramLin(gpa, 4);
  if (off >= 0) store<u32>(<usize>off, v);
  else if (!gpaWrite32(<f64>gpa, v)) faulted = true;
}

// ---- results ----
/** Bytes mapped by the last map call (for Linux's *mapped next to a negative return). */
export let lastMapped: u64 = 0;
export function setLastMapped(v: u64): void {
  lastMapped = v;
}
/** A 64-bit value returned by the last tce get / xchg (read by the facade from linear memory). */
export const outSlot: usize = memory.data(8, 8);
