// Rockchip IOMMU v1 / v2 page tables written as Linux's drivers/iommu/rockchip-iommu.c writes
// them (facts in shared/reference/soc-iommus.md 3.2-3.4):
//   * Two levels of u32 entries, a 4 KiB Directory Table (allocated with the domain) and 4 KiB
//     Page Tables allocated on first use (rk_dte_get_page_table: -ENOMEM when none); DTEs are
//     never cleared while the domain lives.
//   * DTE v1 = (pt & 0xfffff000) | VALID. v2 packs PA[35:32] into bits 11:8 and PA[39:36] into
//     bits 7:4 (rk_mk_dte_v2); PTEs use the same address encoding plus READABLE (1) and
//     WRITABLE (2) from IOMMU_READ / IOMMU_WRITE, and VALID. No prot check: a PTE without R/W is
//     still VALID. Index = (u32)iova: bits 31:22 DTE, 21:12 PTE (higher bits are dropped).
//   * map (rk_iommu_map / rk_iommu_map_iova): size / 4 KiB PTEs from the iova's PTE; an
//     already VALID PTE stops it: the PTEs written so far get VALID cleared again (unwind) and
//     the result is -EADDRINUSE. On success the first and the last 4 KiB IOVA are zapped
//     (RK_MMU_ZAP_ONE_LINE) and the whole size counts as mapped.
//   * unmap: DTE not VALID -> 0. Else PTEs lose only their VALID bit (address and flags stay),
//     stopping at the first PTE that is not VALID; every unmapped 4 KiB IOVA is zapped; returns
//     the bytes unmapped.
//   * iova_to_phys: DTE and PTE must be VALID; page address + (iova & 0xfff), else 0.
//   * domain free: every PT a VALID DTE points at, then the DT.
//
// Sources disagree on v2 details: the first v2 patches swapped READABLE/WRITABLE (bit 2 read,
// bit 1 write) and put PA[34:32] / PA[39:35] in bits 11:9 / 8:4; later fixes moved both to the
// layout above, which the sheet and the walker (assembly/formats/rockchip.ts) use. We follow the
// fixed layout. The map is the single-size op the sheet describes (one call never crosses a PT:
// iommu_map hands the driver sizes from pgsize_bitmap 0x007ff000 aligned to themselves); the
// model refuses other sizes with -EINVAL, iommu_map's answer to a misaligned request, rather
// than writing past a PT. A PT the allocator places above the IOMMU's DMA mask (32 bits v1,
// 40 bits v2) is refused like a failed dma_map_single: -ENOMEM.
import {
  EADDRINUSE, EFAULT, EINVAL, ENOMEM, IOMMU_READ, IOMMU_WRITE, SK_RK, TLB_ZAP_LINE, allocTable, claimSoc, faulted,
  freeTable, pI, rd32, releaseSoc, setLastMapped, setPI, setXU, tlb, wr32, xU,
} from './soc-common';
import { RK_ADDR_LO, RK_READABLE, RK_V2_ADDR_MASK, RK_V2_HI1_MASK, RK_V2_HI2_MASK, RK_VALID, RK_WRITABLE } from './soc-pte-bits';

const SPAGE: u64 = 4096;
const NUM_PT_ENTRIES: u64 = 1024;
const RK_PGSIZE_BITMAP: u64 = 0x007ff000;

const P_VERSION: usize = 0;
const X_DT: usize = 0;

@inline function v2(): bool {
  return pI(P_VERSION) == 2;
}
/** rk_mk_dte / rk_mk_dte_v2 (also the address part of a PTE). */
export function mkDte(pa: u64): u32 {
  if (!v2()) return (<u32>pa & RK_ADDR_LO) | RK_VALID;
  const e = (<u32>pa & RK_ADDR_LO) | <u32>((pa >> 24) & <u64>RK_V2_HI1_MASK) | <u32>((pa >> 32) & <u64>RK_V2_HI2_MASK);
  return (e & RK_V2_ADDR_MASK) | RK_VALID;
}
/** rk_dte_pt_address / rk_dte_pt_address_v2 (also a PTE's page address). */
export function ptAddress(e: u32): u64 {
  let pa = <u64>(e & RK_ADDR_LO);
  if (v2()) pa |= (<u64>(e & RK_V2_HI1_MASK) << 24) | (<u64>(e & RK_V2_HI2_MASK) << 32);
  return pa;
}
function mkPte(pa: u64, prot: u32): u32 {
  let f: u32 = 0;
  if ((prot & IOMMU_READ) != 0) f |= RK_READABLE;
  if ((prot & IOMMU_WRITE) != 0) f |= RK_WRITABLE;
  return mkDte(pa) | f;
}
@inline function dteIndex(iova: u64): u64 {
  return (iova >> 22) & 0x3ff;
}
@inline function pteIndex(iova: u64): u64 {
  return (iova >> 12) & 0x3ff;
}

/** rk_iommu_domain_alloc: allocates the DT. 0, -ENOMEM, -EFAULT. */
export function rkCreate(s: i32, hook: i32, version: i32, fl: u32): i32 {
  if (version != 1 && version != 2) return -EINVAL;
  const c = claimSoc(s, SK_RK, hook, fl);
  if (c != 0) return c;
  setPI(P_VERSION, version);
  const dt = allocTable(<u32>SPAGE);
  if (dt < 0 || faulted || !dmaOk(<u64>dt)) {
    const f = faulted;
    if (dt >= 0) freeTable(<u64>dt, <u32>SPAGE);
    releaseSoc();
    return f ? -EFAULT : -ENOMEM;
  }
  setXU(X_DT, <u64>dt);
  return 0;
}

@inline function dmaOk(pa: u64): bool {
  return (pa >> (v2() ? 40 : 32)) == 0;
}

/** rk_dte_get_page_table: the PT for `iova` (allocating it), or 0 for -ENOMEM. */
function pageTable(iova: u64): u64 {
  const dteAddr = xU(X_DT) + (dteIndex(iova) << 2);
  const dte = rd32(dteAddr);
  if (faulted) return 0;
  if ((dte & RK_VALID) != 0) return ptAddress(dte);
  const pt = allocTable(<u32>SPAGE);
  if (pt < 0) return 0;
  if (!dmaOk(<u64>pt)) {
    freeTable(<u64>pt, <u32>SPAGE);
    return 0;
  }
  wr32(dteAddr, mkDte(<u64>pt));
  return <u64>pt;
}

/** The iommu_map contract the model enforces: one page size of the bitmap, iova and paddr aligned to it. */
@inline function sizeOk(iova: u64, paddr: u64, size: u64): bool {
  return size != 0 && (size & (size - 1)) == 0 && (size & RK_PGSIZE_BITMAP) != 0 && ((iova | paddr) & (size - 1)) == 0;
}

/** rk_iommu_unmap_iova on `n` PTEs at `pte`: clears VALID up to the first invalid one; returns the count. */
function invalidate(pte: u64, n: u64): u64 {
  let c: u64 = 0;
  for (; c < n; c++) {
    const e = rd32(pte + (c << 2));
    if (faulted) return c;
    if ((e & RK_VALID) == 0) break;
    wr32(pte + (c << 2), e & ~RK_VALID);
  }
  return c;
}

/** rk_iommu_map: 0, -EADDRINUSE, -ENOMEM (or the model's -EINVAL); bytes mapped via setLastMapped. */
export function rkMap(iova: u64, paddr: u64, size: u64, prot: u32): i32 {
  setLastMapped(0);
  if (!sizeOk(iova, paddr, size)) return -EINVAL;
  const pt = pageTable(iova);
  if (faulted) return -EFAULT;
  if (pt == 0) return -ENOMEM;
  const pte = pt + (pteIndex(iova) << 2);
  const total = size / SPAGE;
  let pa = paddr;
  for (let c: u64 = 0; c < total; c++) {
    const e = rd32(pte + (c << 2));
    if (faulted) return -EFAULT;
    if ((e & RK_VALID) != 0) {
      invalidate(pte, c); // unwind what this call wrote
      return faulted ? -EFAULT : -EADDRINUSE;
    }
    wr32(pte + (c << 2), mkPte(pa, prot));
    pa += SPAGE;
  }
  if (faulted) return -EFAULT;
  // rk_iommu_zap_iova_first_last
  tlb(TLB_ZAP_LINE, iova, SPAGE, SPAGE);
  if (size > SPAGE) tlb(TLB_ZAP_LINE, iova + size - SPAGE, SPAGE, SPAGE);
  setLastMapped(size);
  return 0;
}

/** rk_iommu_unmap: bytes unmapped (0 when the DTE is not VALID, or for the model's misaligned request). */
export function rkUnmap(iova: u64, size: u64): u64 {
  if (!sizeOk(iova, 0, size)) return 0;
  const dte = rd32(xU(X_DT) + (dteIndex(iova) << 2));
  if (faulted || (dte & RK_VALID) == 0) return 0;
  const n = invalidate(ptAddress(dte) + (pteIndex(iova) << 2), size / SPAGE);
  if (faulted) return 0;
  const bytes = n * SPAGE;
  for (let a: u64 = iova; a < iova + bytes; a += SPAGE) tlb(TLB_ZAP_LINE, a, SPAGE, SPAGE);
  return bytes;
}

/** rk_iommu_iova_to_phys: -1 only when a table access aborted. */
export function rkIovaToPhys(iova: u64): i64 {
  const dte = rd32(xU(X_DT) + (dteIndex(iova) << 2));
  if (faulted) return -1;
  if ((dte & RK_VALID) == 0) return 0;
  const pte = rd32(ptAddress(dte) + (pteIndex(iova) << 2));
  if (faulted) return -1;
  if ((pte & RK_VALID) == 0) return 0;
  return <i64>(ptAddress(pte) + (iova & 0xfff));
}

/** rk_iommu_domain_free. */
export function rkDestroy(): i32 {
  const dt = xU(X_DT);
  for (let i: u64 = 0; i < NUM_PT_ENTRIES; i++) {
    const dte = rd32(dt + (i << 2));
    if (faulted) break;
    if ((dte & RK_VALID) != 0) freeTable(ptAddress(dte), <u32>SPAGE);
  }
  freeTable(dt, <u32>SPAGE);
  releaseSoc();
  return faulted ? -EFAULT : 0;
}

export function rkDt(): f64 {
  return <f64>xU(X_DT);
}
