// Exports of the combined translate (see translate.ts). Numbers only; one crossing per call or
// per batch.
import { ST_OK, ST_BAD_CONFIG, PERM_UNPRIV_SHIFT } from '../walk/layout';
import { STAT_HITS } from '../iotlb/tlb';
import {
  MAX_BIND, XB_ASID, XB_BYTES, XB_DID, XB_FLAGS, XB_KIND, XB_LIOBN, XB_PASID, XB_SLOT, XB_TLB, XB_VMID, XRES,
  XR_BYTES, XR_OA, XR_PAGE_SHIFT, XR_PERM_ALL, XR_STATUS, XR_SOURCE, XS_NONE, bindPtr, xlate,
} from './translate';

export const XBATCH_MAX: i32 = 1024;
export const XBATCH_IN_BYTES: u32 = 16; // f64 iova, u32 access, u32 unused
export const XBATCH_OUT_BYTES: u32 = 16; // f64 output address, u32 status, u32 permAll | pageShift << 8
const XBATCH_IN: usize = memory.data(<i32>XBATCH_MAX * <i32>XBATCH_IN_BYTES, 16);
const XBATCH_OUT: usize = memory.data(<i32>XBATCH_MAX * <i32>XBATCH_OUT_BYTES, 16);

/**
 * Sets binding `b`: IOTLB handle (0 = none), entry tags, walk context slot (-1 = none) and
 * XF_* flags. Returns 0, or -1 when `b` is out of range.
 */
export function xlate_bind(b: i32, tlb: u32, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, slot: i32, flags: u32): i32 {
  if (b < 0 || b >= MAX_BIND) return -1;
  const x = bindPtr(b);
  store<u32>(x + XB_TLB, tlb);
  store<u32>(x + XB_KIND, kind);
  store<u32>(x + XB_VMID, vmid);
  store<u32>(x + XB_ASID, asid);
  store<u32>(x + XB_DID, did);
  store<u32>(x + XB_PASID, pasid);
  store<u32>(x + XB_LIOBN, liobn);
  store<i32>(x + XB_SLOT, slot < 0 ? 0 : slot + 1);
  store<u32>(x + XB_FLAGS, flags);
  return 0;
}

/** Unbinds `b`: translations through it answer ST_BAD_CONFIG until it is bound again. */
export function xlate_unbind(b: i32): void {
  if (b < 0 || b >= MAX_BIND) return;
  memory.fill(bindPtr(b), 0, XB_BYTES);
}

// @ts-ignore: decorator
@inline
function badBinding(): u32 {
  store<u32>(XRES + XR_STATUS, ST_BAD_CONFIG);
  store<u32>(XRES + XR_SOURCE, XS_NONE);
  return ST_BAD_CONFIG;
}

/**
 * Translates an iova below 2^53. Returns the output address (>= 0) on success, or minus the
 * status (ST_*, >= 1) on a fault; the result record (xlate_result_ptr) holds the details.
 */
export function xlate_va(b: i32, iova: f64, acc: u32): f64 {
  if (<u32>b >= <u32>MAX_BIND || !(iova >= 0)) return -<f64>badBinding();
  const st = xlate(b, <u64>iova, acc);
  return st == ST_OK ? load<f64>(XRES + XR_OA) : -<f64>st;
}

/** Translates a full 64-bit iova given as halves; returns the status. */
export function xlate_va64(b: i32, lo: u32, hi: u32, acc: u32): u32 {
  if (<u32>b >= <u32>MAX_BIND) return badBinding();
  return xlate(b, (<u64>hi << 32) | <u64>lo, acc);
}

export function xlate_result_ptr(): usize {
  return XRES;
}
export function xlate_result_bytes(): u32 {
  return XR_BYTES;
}
export function xlate_batch_in_ptr(): usize {
  return XBATCH_IN;
}
export function xlate_batch_out_ptr(): usize {
  return XBATCH_OUT;
}

/**
 * Translates the first `n` entries of the batch input buffer through binding `b`, writing one
 * output record each; returns how many succeeded. Consecutive accesses of the same kind inside
 * the page the previous success came from reuse its answer (exactly what the IOTLB lookup
 * would return: nothing can change the IOTLB between them; counted as hits). The result record
 * afterwards describes the last access that was looked up, not necessarily the last one.
 */
export function xlate_batch(b: i32, n: i32): i32 {
  if (n > XBATCH_MAX) n = XBATCH_MAX;
  if (<u32>b >= <u32>MAX_BIND) {
    badBinding();
    for (let i = 0; i < n; i++) {
      const pout = XBATCH_OUT + <usize>i * XBATCH_OUT_BYTES;
      store<f64>(pout, 0);
      store<u32>(pout, ST_BAD_CONFIG, 8);
      store<u32>(pout, 0, 12);
    }
    return 0;
  }
  const h = <usize>load<u32>(bindPtr(b) + XB_TLB);
  let ok = 0;
  let reused: u64 = 0;
  // The previous success: its page (iova >> shift), shift, access, output page base, info word.
  let prevPage: u64 = 0xffff_ffff_ffff_ffff;
  let prevShift: u64 = 63;
  let prevAcc: u32 = 0xffffffff;
  let prevBase: u64 = 0;
  let prevInfo: u32 = 0;
  for (let i = 0; i < n; i++) {
    const pin = XBATCH_IN + <usize>i * XBATCH_IN_BYTES;
    const pout = XBATCH_OUT + <usize>i * XBATCH_OUT_BYTES;
    const fv = load<f64>(pin);
    const acc = load<u32>(pin, 8);
    const iova: u64 = fv >= 0 ? <u64>fv : 0;
    if (h != 0 && iova >> prevShift == prevPage && acc == prevAcc) {
      store<f64>(pout, <f64>(prevBase | (iova & ((<u64>1 << prevShift) - 1))));
      store<u32>(pout, ST_OK, 8);
      store<u32>(pout, prevInfo, 12);
      reused++;
      ok++;
      continue;
    }
    const st = fv >= 0 ? xlate(b, iova, acc) : badBinding();
    const oa = load<f64>(XRES + XR_OA);
    store<f64>(pout, oa);
    store<u32>(pout, st, 8);
    if (st == ST_OK) {
      const shift = load<u32>(XRES + XR_PAGE_SHIFT);
      const info = load<u32>(XRES + XR_PERM_ALL) | (shift << 8);
      store<u32>(pout, info, 12);
      prevShift = <u64>shift;
      prevPage = iova >> prevShift;
      prevBase = (<u64>oa) & ~((<u64>1 << prevShift) - 1);
      prevAcc = acc;
      prevInfo = info;
      ok++;
    } else {
      store<u32>(pout, 0, 12);
      prevPage = 0xffff_ffff_ffff_ffff;
      prevShift = 63;
    }
  }
  if (reused != 0) store<u64>(h + STAT_HITS, load<u64>(h + STAT_HITS) + reused);
  return ok;
}

/** Layout self-description for the TypeScript mirror (src/core/xlate-abi.ts). */
export function xlate_abi(key: i32): i32 {
  switch (key) {
    case 0: return 1;
    case 1: return MAX_BIND;
    case 2: return <i32>XR_BYTES;
    case 3: return XBATCH_MAX;
    case 4: return <i32>XBATCH_IN_BYTES;
    case 5: return <i32>XBATCH_OUT_BYTES;
    case 6: return <i32>PERM_UNPRIV_SHIFT;
  }
  return -1;
}
