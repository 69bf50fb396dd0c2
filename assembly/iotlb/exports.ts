// Exports of the IOTLB (see tlb.ts). Addresses cross the boundary as f64: exact below 2^53, and
// any 4 KiB-aligned 64-bit address is exact too (52 significant bits), which is why ranges are
// given in 4 KiB page numbers. iotlb_lookup64 and the wide batch take exact u64 (BigInt) iovas.
import {
  tlbCreate,
  tlbLookup,
  tlbLookupTable,
  tlbLookupBatch,
  tlbInsert,
  tlbInvalidate,
  tlbResetStats,
  tlbEntries,
  tlbCapacity,
  tlbSlots,
  tlbBytes,
  H_RESULT,
  f64ToU64,
} from './tlb';

/** Creates a TLB of `sets` (power of two) x `ways` (1..64) entries; returns its handle or 0. */
export function iotlb_create(sets: u32, ways: u32, flags: u32): usize {
  return tlbCreate(sets, ways, flags);
}

/** Leaf lookup; 1 on a hit (result record filled), 0 on a miss. */
export function iotlb_lookup(h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, iova: f64): i32 {
  return tlbLookup(h, kind, vmid, asid, did, pasid, liobn, f64ToU64(iova)) ? 1 : 0;
}

/** Leaf lookup with an exact 64-bit iova (a BigInt from JS). */
export function iotlb_lookup64(h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, iova: u64): i32 {
  return tlbLookup(h, kind, vmid, asid, did, pasid, liobn, iova) ? 1 : 0;
}

/** Walk-cache lookup: deepest cached table covering `iova`; 1 on a hit, 0 on a miss. */
export function iotlb_lookup_table(h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, iova: f64): i32 {
  return tlbLookupTable(h, kind, vmid, asid, did, pasid, liobn, f64ToU64(iova)) ? 1 : 0;
}

/** Batched leaf lookups over f64 iovas (wide=0) or u64 iovas (wide=1); returns the hit count. */
export function iotlb_lookup_batch(
  h: usize,
  kind: u32,
  vmid: u32,
  asid: u32,
  did: u32,
  pasid: u32,
  liobn: u32,
  inPtr: usize,
  outPtr: usize,
  permPtr: usize,
  n: u32,
  wide: u32,
): u32 {
  return tlbLookupBatch(h, kind, vmid, asid, did, pasid, liobn, inPtr, outPtr, permPtr, n, wide != 0);
}

/** Caches a translation (see tlbInsert); returns the slot, or -1 for a page shift outside 12..63. */
export function iotlb_insert(
  h: usize,
  kind: u32,
  vmid: u32,
  asid: u32,
  did: u32,
  pasid: u32,
  liobn: u32,
  iova: f64,
  pa: f64,
  shift: u32,
  perm: u32,
  attr: u32,
  attr2: u32,
  level: u32,
  granule: u32,
  flags: u32,
): i32 {
  return tlbInsert(h, kind, vmid, asid, did, pasid, liobn, <u64>iova, <u64>pa, shift, perm, attr, attr2, level, granule, flags);
}

/** Removes the entries in scope (see tlbInvalidate); returns how many were removed. */
export function iotlb_invalidate(
  h: usize,
  kindMask: u32,
  flags: u32,
  vmid: u32,
  asid: u32,
  did: u32,
  pasid: u32,
  liobn: u32,
  start4k: f64,
  end4k: f64,
  ttl: u32,
  tgShift: u32,
): u32 {
  return tlbInvalidate(h, kindMask, flags, vmid, asid, did, pasid, liobn, <u64>start4k, <u64>end4k, ttl, tgShift);
}

/** Linear-memory address of the result record (64 bytes). */
export function iotlb_result_ptr(h: usize): usize {
  return h + H_RESULT;
}
/** Linear-memory address of the entry array (slots x 64 bytes). */
export function iotlb_entries_ptr(h: usize): usize {
  return tlbEntries(h);
}
/** Entries that can be valid at once (sets x ways). */
export function iotlb_capacity(h: usize): u32 {
  return tlbCapacity(h);
}
/** Slots in the entry array (sets x ways rounded up to 4; padding slots stay invalid). */
export function iotlb_slots(h: usize): u32 {
  return tlbSlots(h);
}
/** Size of the whole block (header, statistics, replacement state, entries) starting at `h`. */
export function iotlb_bytes(h: usize): u32 {
  return tlbBytes(h);
}
export function iotlb_reset_stats(h: usize): void {
  tlbResetStats(h);
}
