// The combined translation every IOMMU model performs per DMA access: look the page up in the
// tagged IOTLB, and on a miss walk the tables and cache the result - in one call, numbers only.
//
// A *binding* ties together what a translation needs and the model knows in advance: the
// IOTLB (handle), the tags its entries carry (kind, VMID, ASID, DID, PASID, LIOBN), the walk
// context (slot) and a policy (XF_*). A model makes one binding per live configuration (an
// SMMU STE+CD, a VT-d context/PASID entry, a TCE window) and rebinds when the configuration
// changes; the per-access call then takes only (binding, iova, access).
//
// Caching follows hardware: only successful translations are inserted (faults are never
// cached, so an access-flag or translation fault is raised again by the next walk), and a hit
// is used as it is, even when the tables changed since: a stale entry keeps translating until
// the model invalidates it, which is what drivers test for.
//
// A hit whose permissions refuse the access: hardware may fault from the cached entry or walk
// again (the Arm ARM and the VT-d spec allow both; a TLB may drop an entry at any time).
// XF_PERM_FROM_TLB faults from the entry, as QEMU's SMMUv3 does (reason from the generic
// order: execute needs X, write needs W, read needs R; the stage from the entry's split
// permissions); otherwise the walk decides, which also gives the exact fault record (level,
// descriptor) and lets a hardware dirty-state update (DBM) happen on the first write to a page
// cached after a read.
//
// Result record (XR_*): status and, on success, output address, permissions, page size,
// attributes; XR_SOURCE says whether the IOTLB or a walk answered. On a walk, the walk's own
// result record (walk_result_ptr) holds every detail of the fault.
import {
  ACC_EXEC, ACC_PRIV, ACC_WRITE, PERM_R, PERM_UNPRIV_SHIFT, PERM_W, PERM_X, RES_ATTRS, RES_FLAGS, RES_GRANULE,
  RES_LEVEL, RES_OA, RES_PAGE_SHIFT, RES_PERM_ALL, RES_REASON, RES_S1_PERM_ALL, RES_S2_ATTRS, RES_S2_PERM_ALL,
  RES_STAGE, R_PERM_EXEC, R_PERM_READ, R_PERM_WRITE, ST_BAD_CONFIG, ST_OK, ST_PERMISSION, A_NG, F_NESTED, CTX_STAGE,
} from '../walk/layout';
import { RES, ctxPtr, walkCtx } from '../walk/engine';
import { INS_GLOBAL, entryAttr, entryAttr2, entryInfo, entryOutput, entryPerm, tlbFindLeaf, tlbInsert } from '../iotlb/tlb';

// ---- bindings ----
export const MAX_BIND: i32 = 128;
export const XB_BYTES: u32 = 48;
export const XB_TLB: u32 = 0; // u32 IOTLB handle; 0 = no caching (every access walks)
export const XB_KIND: u32 = 4; // u32 KIND_* of the entries
export const XB_VMID: u32 = 8;
export const XB_ASID: u32 = 12;
export const XB_DID: u32 = 16;
export const XB_PASID: u32 = 20;
export const XB_LIOBN: u32 = 24;
export const XB_SLOT: u32 = 28; // i32 1 + walk context slot; 0 = none (ST_BAD_CONFIG), so zeroed memory is unbound
export const XB_FLAGS: u32 = 32; // u32 XF_*

/** Leaves with nG = 0 (SMMU) / G = 1 (VT-d first stage) are cached as global: found from any ASID/PASID. */
export const XF_GLOBAL_FROM_NG: u32 = 1;
/** A hit that refuses the access faults from the entry instead of walking again (QEMU SMMUv3). */
export const XF_PERM_FROM_TLB: u32 = 2;

// ---- result record ----
export const XR_BYTES: u32 = 48;
export const XR_STATUS: u32 = 0; // u32 ST_*
export const XR_SOURCE: u32 = 4; // u32 XS_*
export const XR_OA: u32 = 8; // f64 output address (success)
export const XR_PERM_ALL: u32 = 16; // u32 privileged RWX | unprivileged RWX << 3 (success)
export const XR_PAGE_SHIFT: u32 = 20; // u32 log2 of the translation's size (success)
export const XR_ATTRS: u32 = 24; // u32 A_* (stage 1 or only stage)
export const XR_S2_ATTRS: u32 = 28; // u32 A_* of the nested stage 2
export const XR_REASON: u32 = 32; // u32 R_* (faults)
export const XR_STAGE: u32 = 36; // u32 stage of a fault (or of the context)
export const XR_LEVEL: u32 = 40; // i32 leaf level (success) or faulting level
export const XS_NONE: u32 = 0;
export const XS_TLB: u32 = 1;
export const XS_WALK: u32 = 2;

/** Stored in the IOTLB entry's perm word: stage-1 (or only stage) permAll | stage-2 permAll << 8. */
const PERM_S2_SHIFT: u32 = 8;
const PERM_ALL_MASK: u32 = 0x3f;

export const BIND_MEM: usize = memory.data(<i32>(<u32>MAX_BIND * XB_BYTES), 16);
export const XRES: usize = memory.data(<i32>XR_BYTES, 16);

// @ts-ignore: decorator
@inline
export function bindPtr(b: i32): usize {
  return BIND_MEM + <usize>b * <usize>XB_BYTES;
}

/** Which permission the access needs (PERM_*), at the privilege it is made with, shifted into permAll's layout. */
// @ts-ignore: decorator
@inline
function needed(acc: u32): u32 {
  const p = (acc & ACC_EXEC) != 0 ? PERM_X : (acc & ACC_WRITE) != 0 ? PERM_W : PERM_R;
  return (acc & ACC_PRIV) != 0 ? p : p << PERM_UNPRIV_SHIFT;
}

// @ts-ignore: decorator
@inline
function reasonFor(acc: u32): u32 {
  return (acc & ACC_EXEC) != 0 ? R_PERM_EXEC : (acc & ACC_WRITE) != 0 ? R_PERM_WRITE : R_PERM_READ;
}

/**
 * Translates `iova` with access `acc` (ACC_*) through binding `b`. Returns the status (ST_*);
 * the result record XRES holds the rest.
 */
export function xlate(b: i32, iova: u64, acc: u32): u32 {
  const x = bindPtr(b);
  const h = <usize>load<u32>(x + XB_TLB);
  const kind = load<u32>(x + XB_KIND);
  const vmid = load<u32>(x + XB_VMID);
  const asid = load<u32>(x + XB_ASID);
  const did = load<u32>(x + XB_DID);
  const pasid = load<u32>(x + XB_PASID);
  const liobn = load<u32>(x + XB_LIOBN);
  const flags = load<u32>(x + XB_FLAGS);
  const need = needed(acc);
  if (h != 0) {
    const e = tlbFindLeaf(h, kind, vmid, asid, did, pasid, liobn, iova);
    if (e != 0) {
      const perm = entryPerm(e);
      if ((perm & (perm >> PERM_S2_SHIFT) & need) != 0) {
        const info = entryInfo(e);
        store<u32>(XRES + XR_STATUS, ST_OK);
        store<u32>(XRES + XR_SOURCE, XS_TLB);
        store<f64>(XRES + XR_OA, <f64>entryOutput(e, iova));
        store<u32>(XRES + XR_PERM_ALL, perm & (perm >> PERM_S2_SHIFT) & PERM_ALL_MASK);
        store<u32>(XRES + XR_PAGE_SHIFT, (info >> 16) & 63);
        store<u32>(XRES + XR_ATTRS, entryAttr(e));
        store<u32>(XRES + XR_S2_ATTRS, entryAttr2(e));
        store<u32>(XRES + XR_REASON, 0);
        store<i32>(XRES + XR_LEVEL, <i32>(info & 0xff));
        return ST_OK;
      }
      if ((flags & XF_PERM_FROM_TLB) != 0) {
        // Stage 1 (or the only stage) is checked first, as the walk would.
        const s1ok = (perm & need) != 0;
        const slot = load<i32>(x + XB_SLOT) - 1;
        const ctxStage = slot >= 0 ? load<u32>(ctxPtr(slot) + CTX_STAGE) : 1;
        store<u32>(XRES + XR_STATUS, ST_PERMISSION);
        store<u32>(XRES + XR_SOURCE, XS_TLB);
        store<f64>(XRES + XR_OA, <f64>entryOutput(e, iova));
        store<u32>(XRES + XR_REASON, reasonFor(acc));
        store<u32>(XRES + XR_STAGE, s1ok ? 2 : ctxStage);
        store<i32>(XRES + XR_LEVEL, <i32>(entryInfo(e) & 0xff));
        return ST_PERMISSION;
      }
    }
  }
  return xlateWalk(x, h, kind, vmid, asid, did, pasid, liobn, flags, iova, acc);
}

/** The miss path: walk, record the result, cache a success. Out of line to keep hits short. */
function xlateWalk(x: usize, h: usize, kind: u32, vmid: u32, asid: u32, did: u32, pasid: u32, liobn: u32, flags: u32, iova: u64, acc: u32): u32 {
  const slot = load<i32>(x + XB_SLOT) - 1;
  store<u32>(XRES + XR_SOURCE, XS_WALK);
  if (slot < 0) {
    store<u32>(XRES + XR_STATUS, ST_BAD_CONFIG);
    store<u32>(XRES + XR_SOURCE, XS_NONE);
    return ST_BAD_CONFIG;
  }
  const st = walkCtx(slot, iova, acc, RES, false);
  store<u32>(XRES + XR_STATUS, st);
  store<f64>(XRES + XR_OA, load<f64>(RES + RES_OA));
  store<u32>(XRES + XR_REASON, load<u32>(RES + RES_REASON));
  store<u32>(XRES + XR_STAGE, load<u32>(RES + RES_STAGE));
  store<i32>(XRES + XR_LEVEL, load<i32>(RES + RES_LEVEL));
  if (st != ST_OK) return st;
  const permAll = load<u32>(RES + RES_PERM_ALL);
  const shift = load<u32>(RES + RES_PAGE_SHIFT);
  const attrs = load<u32>(RES + RES_ATTRS);
  store<u32>(XRES + XR_PERM_ALL, permAll);
  store<u32>(XRES + XR_PAGE_SHIFT, shift);
  store<u32>(XRES + XR_ATTRS, attrs);
  store<u32>(XRES + XR_S2_ATTRS, load<u32>(RES + RES_S2_ATTRS));
  if (h != 0) {
    const nested = (load<u32>(RES + RES_FLAGS) & F_NESTED) != 0;
    const perm = nested
      ? load<u32>(RES + RES_S1_PERM_ALL) | (load<u32>(RES + RES_S2_PERM_ALL) << PERM_S2_SHIFT)
      : permAll | (PERM_ALL_MASK << PERM_S2_SHIFT);
    const global = (flags & XF_GLOBAL_FROM_NG) != 0 && (attrs & A_NG) == 0 ? INS_GLOBAL : 0;
    // Page-aligned addresses keep the entry's pa exact whatever the offset of this access.
    const mask = (<u64>1 << <u64>shift) - 1;
    tlbInsert(
      h, kind, vmid, asid, did, pasid, liobn, iova & ~mask, (<u64>load<f64>(RES + RES_OA)) & ~mask, shift, perm,
      attrs, load<u32>(RES + RES_S2_ATTRS), <u32>load<i32>(RES + RES_LEVEL) & 0xff, load<u32>(RES + RES_GRANULE), global,
    );
  }
  return ST_OK;
}
